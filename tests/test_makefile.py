"""`make book` rebuilds the site when, and only when, something it is built from changed.

The Makefile stamps the built site (``_build/html/.built-from-sources``) and lists what
the site is built from: the chapters, `mini`, `_ext/`, the configuration files, the
environment's stamp, and a record of the build-time settings and of the source list.
These tests copy those sources into a scratch folder, date every file, and ask make
there (``make -q``: exit 0 if the stamp is up to date, 1 if its recipe would run;
``-W FILE``: as if FILE had just changed). Nothing is built, and the working tree and
its site are left alone.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAMP = "_build/html/.built-from-sources"
SETTINGS = "_build/site-settings.txt"
SOURCES_TIME = 1_700_000_000  # every source dated here, the stamp an hour later


def environment(**settings: str) -> dict:
    """This process's environment without the build-time settings and the variables of a
    calling make (`make test` runs the tests), with ``settings``."""
    unset = ("BOOK_REPOSITORY_URL", "BOOK_BASEURL")
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAKE") and key not in unset}
    return env | settings


@functools.cache
def site_sources() -> tuple[str, ...]:
    """The Makefile's SITE_SOURCES, as make expands it in the working tree (its settings
    record redirected to a scratch file, so the real one is left as it is)."""
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "SITE_SETTINGS=_build/test-makefile-settings.txt",
            "--eval",
            "print-site-sources: ; @echo $(SITE_SOURCES)",
            "print-site-sources",
        ],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    (ROOT / "_build" / "test-makefile-settings.txt").unlink(missing_ok=True)
    return tuple(done.stdout.split())


def question(book: Path, *args: str, env: dict | None = None) -> int:
    """``make -q``'s verdict on the site's stamp in ``book``: 0 up to date, 1 the build would run."""
    done = subprocess.run(
        ["make", "-q", *args, STAMP], cwd=book, env=env or environment(), capture_output=True, text=True
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """A scratch copy of what the site is built from, with a site built after all of it."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    for name in site_sources():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)
    for name in ("requirements.txt", "constraints.txt", "pyproject.toml"):  # the environment's
        shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / ".installed").touch()
    assert question(tmp_path) == 1  # no site yet; make writes the settings record
    (tmp_path / STAMP).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / STAMP).touch()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            os.utime(path, (SOURCES_TIME, SOURCES_TIME))
    os.utime(tmp_path / STAMP, (SOURCES_TIME + 3600, SOURCES_TIME + 3600))
    return tmp_path


def test_an_up_to_date_site_is_not_built_again(book):
    assert question(book) == 0
    dry_run = subprocess.run(
        ["make", "-n", "book"], cwd=book, env=environment(), capture_output=True, text=True
    )
    assert dry_run.returncode == 0, dry_run.stderr
    assert "jupyter-book" not in dry_run.stdout and "book_site.execute" not in dry_run.stdout


@pytest.mark.parametrize(
    "source",
    [
        "chapters/02-the-factor-model-equation.md",
        "intro.md",
        "mini/book.py",
        "mini/data/reference_figures.csv",
        "_ext/book_site/notebooks.py",
        "_ext/static/favicon.svg",
        "_config.yml",
        "_toc.yml",
        "references.bib",
        "pyproject.toml",
        "Makefile",
        ".venv/.installed",
    ],
)
def test_a_changed_source_builds_the_site_again(book, source):
    assert (book / source).is_file(), source
    assert question(book, "-W", source) == 1, f"a change to {source} would not rebuild the site"
    dry_run = subprocess.run(
        ["make", "-n", "-W", source, "book"], cwd=book, env=environment(), capture_output=True, text=True
    )
    assert "jupyter-book build . -W -n --keep-going" in dry_run.stdout


@pytest.mark.parametrize("setting", ["BOOK_BASEURL", "BOOK_REPOSITORY_URL"])
def test_a_changed_setting_builds_the_site_again(book, setting):
    changed = environment(**{setting: "https://example.org/primer/"})
    assert question(book, env=changed) == 1
    assert f"{setting}=https://example.org/primer/" in (book / SETTINGS).read_text(encoding="utf-8")


def test_a_file_added_or_removed_builds_the_site_again(book):
    added = book / "mini" / "new_module.py"
    added.write_text("", encoding="utf-8")
    os.utime(added, (SOURCES_TIME, SOURCES_TIME))  # as old as the rest: only the list changed
    assert question(book) == 1
    assert "mini/new_module.py" in (book / SETTINGS).read_text(encoding="utf-8").split()

    # built again: the record and the stamp dated back as if the build came after it
    os.utime(book / SETTINGS, (SOURCES_TIME + 100, SOURCES_TIME + 100))
    os.utime(book / STAMP, (SOURCES_TIME + 7200, SOURCES_TIME + 7200))
    assert question(book) == 0
    added.unlink()
    assert question(book) == 1
