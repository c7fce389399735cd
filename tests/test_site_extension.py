"""Pieces of the site extension (_ext/book_site) that decide what a build rewrites,
tested without building: a build with nothing out of date must still ship edited static
files."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from book_site import static_files_changed  # noqa: E402


def fake_app(project: Path, static_path: list[str]) -> SimpleNamespace:
    return SimpleNamespace(
        builder=SimpleNamespace(format="html"),
        outdir=str(project / "_build" / "html"),
        confdir=str(project),
        config=SimpleNamespace(html_static_path=static_path, root_doc="intro"),
    )


def test_an_edited_or_new_static_file_marks_the_root_page_outdated(tmp_path):
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "book.css").write_text("a { }")
    copies = tmp_path / "_build" / "html" / "_static"
    copies.mkdir(parents=True)
    app = fake_app(tmp_path, ["static"])
    assert static_files_changed(app, None, set(), set(), set()) == ["intro"]  # never copied
    (copies / "book.css").write_text("a { }")
    assert static_files_changed(app, None, set(), set(), set()) == []  # the same bytes
    (tmp_path / "static" / "book.css").write_text("a { color: red }")
    assert static_files_changed(app, None, set(), set(), set()) == ["intro"]  # edited


def test_static_folders_of_extensions_and_other_builders_are_ignored(tmp_path):
    theirs = tmp_path / "site-packages" / "ext" / "_static"
    theirs.mkdir(parents=True)
    (theirs / "button.js_t").write_text("{{ template }}")  # rendered under another name
    app = fake_app(tmp_path, [str(theirs)])
    assert static_files_changed(app, None, set(), set(), set()) == []
    app.builder.format = "latex"
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "book.css").write_text("a { }")
    app.config.html_static_path = ["static"]
    assert static_files_changed(app, None, set(), set(), set()) == []
