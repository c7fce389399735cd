"""The PDF edition shows what the site shows (`make pdf-check` builds it and runs this).

Read as a reader would, through poppler's ``pdftotext``, ``pdfimages`` and ``pdfinfo``:
no table printed as a Styler's repr, no publishing code, no glue or error text; every
table and every figure of the site, chapter by chapter; a sane page count.

The whole module skips when the PDF has not been built (``make test`` does not build it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LATEX = ROOT / "_build" / "latex"
PDF = LATEX / "factor-risk-primer.pdf"
TEX = LATEX / "factor-risk-primer.tex"
HTML = ROOT / "_build" / "html"
PAGES = (100, 400)  # the PDF had 166 pages when this test was written


def _pdf_is_stale() -> bool:
    """A PDF older than the newest chapter page describes an earlier book: comparing the
    two would fail on what changed since, not on what the PDF edition gets wrong."""
    pages = list((HTML / "chapters").glob("*.html"))
    return bool(pages) and PDF.stat().st_mtime < max(page.stat().st_mtime for page in pages)


pytestmark = [
    pytest.mark.skipif(not PDF.is_file(), reason="no PDF: `make pdf` (or `make pdf-check`) builds it"),
    pytest.mark.skipif(
        # `make pdf-check` has just built the PDF: there, nothing is skipped.
        PDF.is_file() and _pdf_is_stale() and not os.environ.get("BOOK_PDF_CHECK"),
        reason="the PDF is older than the site: `make pdf-check` rebuilds it and runs these checks",
    ),
]

BAD_TEXT = [
    (re.compile(r"Styler at 0x"), "a table printed as the Styler's repr"),
    (re.compile(r"<Figure size \d+x\d+ with \d+ Axes>"), "a figure printed as its repr"),
    (re.compile(r"\b(publish|publish_all|pinned|glue)\("), "publishing code"),
    (re.compile(r"\bglue\b", re.IGNORECASE), "glue text"),
    (re.compile(r"Traceback \(most recent call last\)"), "a traceback"),
    (re.compile(r"\b[A-Z]\w*(Error|Exception|Warning): "), "an error or warning message"),
    (re.compile(r"Failed to format"), "a glue formatting failure"),
    (re.compile(r"\bnp\.float64\("), "a NumPy scalar repr"),
    (re.compile(r"\?\?"), "an unresolved reference"),
]


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} (poppler-utils) is not installed: `make pdf-deps` installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@cache
def pdf_text() -> str:
    return subprocess.run(
        [_tool("pdftotext"), "-layout", str(PDF), "-"], capture_output=True, text=True, check=True
    ).stdout


def chapter_pages() -> list[Path]:
    return [HTML / "intro.html", *sorted((HTML / "chapters").glob("*.html"))]


def _main(html: str) -> str:
    """The page's article (no navigation, no header)."""
    start = html.find('<article class="bd-article">')
    end = html.find("</article>", start)
    assert start >= 0 and end > start, "no article in the page"
    return html[start:end]


def tex_by_document() -> dict[str, str]:
    """The LaTeX source split into the documents it was assembled from."""
    tex = TEX.read_text(encoding="utf-8")
    marks = list(re.finditer(r"\\label\{\\detokenize\{([\w/.-]+)::doc\}\}", tex))
    return {
        m.group(1): tex[m.end() : marks[i + 1].start() if i + 1 < len(marks) else len(tex)]
        for i, m in enumerate(marks)
    }


def _site_and_tex() -> list[tuple[str, str, str]]:
    tex = tex_by_document()
    out = []
    for page in chapter_pages():
        doc = page.relative_to(HTML).with_suffix("").as_posix()
        assert doc in tex, f"{doc} is not in the PDF"
        out.append((doc, _main(page.read_text(encoding="utf-8")), tex[doc]))
    return out


def test_pdf_text_shows_no_repr_plumbing_glue_or_error():
    text = pdf_text()
    assert len(text) > 100_000, "pdftotext found (almost) no text"
    found = [
        f"{what}: …{' '.join(text[max(0, m.start() - 60) : m.end() + 60].split())}…"
        for pattern, what in BAD_TEXT
        for m in pattern.finditer(text)
    ]
    assert found == [], "the PDF shows text a reader must not see"


def test_every_table_of_the_site_is_in_the_pdf():
    """Chapter by chapter: as many tables in the LaTeX as in the site's article, and as
    many made from DataFrames (styled or not) as the site shows."""
    site_total = 0
    mismatched = []
    for doc, article, tex in _site_and_tex():
        site = len(re.findall(r"<table\b", article))
        frames = len(re.findall(r'<table id="T_|<table border="1" class="dataframe"', article))
        latex = len(re.findall(r"\\begin\{(tabular|tabulary|longtable)\}", tex))
        from_frames = tex.count("% mini.book table")
        site_total += site
        if (site, frames) != (latex, from_frames):
            mismatched.append(f"{doc}: site {site} ({frames} DataFrames), PDF {latex} ({from_frames})")
    assert site_total >= 60, "the site has fewer tables than the book is known to have"
    assert mismatched == []


def test_every_figure_of_the_site_is_in_the_pdf():
    site = sum(
        len(re.findall(r'<img\b[^>]*src="[^"]*_images/', _main(p.read_text("utf-8"))))
        for p in chapter_pages()
    )
    tex = TEX.read_text(encoding="utf-8")
    in_tex = len(re.findall(r"\\sphinxincludegraphics", tex))
    listing = subprocess.run(
        [_tool("pdfimages"), "-list", str(PDF)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    in_pdf = sum(1 for row in listing if row.split()[2] == "image")
    assert site > 30, "the site has fewer figures than the book is known to have"
    assert in_tex == site, "a figure of the site is missing from the LaTeX"
    assert in_pdf == site, "a figure of the site is missing from the PDF"


def _site_numbers(pattern: str) -> set[str]:
    return {n for page in chapter_pages() for n in re.findall(pattern, page.read_text("utf-8"))}


@pytest.mark.parametrize(
    ("what", "site_pattern", "pdf_pattern"),
    [
        ("figures", r'caption-number">Fig\. (\d+\.\d+)', r"\bFig\. (\d+\.\d+)"),
        ("exercises", r'caption-number">Exercise (\d+\.\d+)', r"\bExercise (\d+(?:\.\d+)+)"),
        ("equations", r'class="eqno">\((\d+\.\d+)\)', r"(?<![\w.])\((\d+\.\d+)\)\s*$"),
    ],
)
def test_numbers_read_as_on_the_site(what, site_pattern, pdf_pattern):
    """Figures, exercises and equations carry the site's numbers (Fig. 6.1, Exercise 1.2, (6.1))."""
    site = _site_numbers(site_pattern)
    pdf = set(re.findall(pdf_pattern, pdf_text(), re.MULTILINE))
    assert len(site) > 10, f"few numbered {what} on the site"
    assert sorted(pdf ^ site) == [], f"{what} numbered differently in the PDF"


def test_page_count_is_sane():
    info = subprocess.run([_tool("pdfinfo"), str(PDF)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    assert PAGES[0] <= pages <= PAGES[1], f"{pages} pages"
