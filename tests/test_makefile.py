"""`make book` rebuilds the site when, and only when, something it is built from changed.

The Makefile stamps the built site (``_build/html/.built-from-sources``) and lists what
the site is built from: the chapters, `mini`, `_ext/`, the configuration files, the
environment's stamp, and a record of the build-time settings. These tests ask make
(``make -q``: exit 0 if the stamp is up to date, 1 if its recipe would run; ``-W FILE``:
as if FILE had just changed) and change nothing in the working tree. They need the
built site that `make test` builds first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAMP = "_build/html/.built-from-sources"
SETTINGS = ROOT / "_build" / "site-settings.txt"


def environment(**settings: str) -> dict:
    """This process's environment with ``settings``, less the variables of a calling make
    (`make test` runs the tests), which would pass its flags on."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}
    return env | settings


def question(*args: str, env: dict | None = None) -> int:
    """``make -q``'s verdict on the site's stamp: 0 up to date, 1 the build would run."""
    done = subprocess.run(
        ["make", "-q", *args, STAMP], cwd=ROOT, env=env or environment(), capture_output=True, text=True
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode


@pytest.fixture(scope="module")
def built() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    if not (ROOT / STAMP).is_file():
        message = f"the site is not built ({STAMP} is missing): run `make book` first"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def test_an_up_to_date_site_is_not_built_again(built):
    assert question() == 0, "nothing changed since `make book`, yet make would build the site again"
    dry_run = subprocess.run(
        ["make", "-n", "book"], cwd=ROOT, env=environment(), capture_output=True, text=True, check=True
    )
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
        ".venv/.installed",
    ],
)
def test_a_changed_source_builds_the_site_again(built, source):
    assert (ROOT / source).is_file(), source
    assert question("-W", source) == 1, f"a change to {source} would not rebuild the site"


def test_a_changed_setting_builds_the_site_again(built, tmp_path):
    """The settings record is rewritten when a setting differs from it, and is then newer
    than the stamp. (A copy stands in for it, so the real record is left alone.)"""
    record = tmp_path / "site-settings.txt"
    shutil.copy2(SETTINGS, record)  # same text, same time: up to date
    assert question(f"SITE_SETTINGS={record}") == 0
    changed = environment(BOOK_BASEURL="https://example.org/primer/")
    assert question(f"SITE_SETTINGS={record}", env=changed) == 1
    text = record.read_text(encoding="utf-8")
    assert "BOOK_BASEURL=https://example.org/primer/" in text
    # the record lists the sources too, so a file added or removed is a change as well
    assert "chapters/02-the-factor-model-equation.md" in text.split()
