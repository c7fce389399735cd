"""Pieces of the site extension (_ext/book_site) that decide what a build rewrites,
tested without building: a build with nothing out of date must still ship edited static
files."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from book_site import bibliography_changed, static_files_changed  # noqa: E402


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


def test_an_edited_bibliography_marks_the_pages_that_cite_outdated(tmp_path):
    """After the first build, a changed references.bib re-reads exactly the pages with a
    {cite} role; an unchanged one re-reads nothing."""
    (tmp_path / "references.bib").write_text("@misc{a, title = {A}, year = {2000}}\n")
    (tmp_path / "cites.md").write_text("As shown {cite:p}`a`.\n")
    (tmp_path / "plain.md").write_text("No citation here.\n")
    app = SimpleNamespace(confdir=str(tmp_path), config=SimpleNamespace(bibtex_bibfiles=["references.bib"]))
    env = SimpleNamespace(found_docs={"cites", "plain"}, doc2path=lambda name: tmp_path / f"{name}.md")
    assert bibliography_changed(app, env, set(), set(), set()) == ["cites"]  # none kept yet
    assert bibliography_changed(app, env, set(), set(), set()) == []  # unchanged
    (tmp_path / "references.bib").write_text("@misc{a, title = {A, edited}, year = {2000}}\n")
    assert bibliography_changed(app, env, set(), set(), set()) == ["cites"]
    assert bibliography_changed(app, env, set(), set(), set()) == []  # recorded


def test_a_book_without_a_bibliography_has_nothing_to_re_read(tmp_path):
    app = SimpleNamespace(confdir=str(tmp_path), config=SimpleNamespace())
    env = SimpleNamespace(found_docs={"page"}, doc2path=lambda name: tmp_path / f"{name}.md")
    assert bibliography_changed(app, env, set(), set(), set()) == []
