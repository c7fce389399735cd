"""Every page of the built book, opened in headless Chromium the way a reader opens it.

Each page is loaded once (light mode, 1280×900) and what the reader would meet is
recorded: console errors, failed or off-site requests, math, images, visible text,
previous/next links and an axe-core accessibility scan. The tests below then check one
aspect each, so a failure names both the page and the rule it breaks. Screenshots: of a
failing page, in `_build/screenshots/failed/`; of every page (light full page, and dark)
with `make screenshots`, in `_build/screenshots/`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlparse

import pytest

from .conftest import browser_unavailable, skip_or_fail, toc_pages

# Without a browser the whole module skips, with one line saying why (under CI: fails).
if browser_unavailable():
    skip_or_fail(browser_unavailable(), module=True)

PAGES = toc_pages()
EXTRA_PAGES = ["search.html", "genindex.html"]  # pages Sphinx adds to the book
ALL_PAGES = PAGES + EXTRA_PAGES

# `make test CHAPTER=09` sets BOOK_CHAPTER: only that chapter's page is checked, and the
# tests that walk the whole book are skipped.
CHAPTER = os.environ.get("BOOK_CHAPTER", "").strip()
whole_book = pytest.mark.skipif(bool(CHAPTER), reason=f"CHAPTER={CHAPTER} checks one chapter's page only")


def each_page(paths: list[str]) -> list:
    """One parameter per page (restricted to CHAPTER if set), the page's path as its id:
    under pytest-xdist a page's checks run together on one worker (tests/conftest.py)."""
    if CHAPTER:
        paths = [path for path in paths if PurePosixPath(path).name.startswith(f"{CHAPTER}-")]
    return [pytest.param(path, id=path) for path in paths]


# Text a reader must never see: a failed glue, a traceback, a figure's repr, a role that
# was not rendered.
BAD_TEXT = [
    (re.compile(r"Traceback \(most recent call last\)"), "a traceback"),
    (re.compile(r"\b[A-Z]\w*(Error|Exception): "), "an exception message"),
    (re.compile(r"\{glue(:\w+)?\}|\bglue:(text|figure|math)\b"), "an unrendered glue role"),
    (re.compile(r"\{(ref|eq|numref|doc|math)\}`"), "an unrendered role"),
    (re.compile(r"Failed to format"), "a glue formatting failure"),
    (re.compile(r"<Figure size \d+x\d+ with \d+ Axes>"), "a matplotlib figure repr"),
    (re.compile(r"\bnp\.float64\("), "a NumPy scalar repr"),
]
# A number shown as negative zero ("-0.00", "-0.0%"): the reader trusts every number.
NEGATIVE_ZERO = re.compile(r"(?<![\w.])[-−]0(\.0+)?(?![\d.])%?")


# --- one check per test, on every page ---------------------------------------------------


@pytest.mark.parametrize("path", each_page(ALL_PAGES))
def test_page_loads_without_console_errors_or_failed_requests(reader, path):
    report = reader.report(path)
    assert report.status == 200
    assert report.console_errors == [], f"{path}: console errors"
    assert report.failed_requests == [], f"{path}: failed requests"


@pytest.mark.parametrize("path", each_page(ALL_PAGES))
def test_page_needs_no_network(reader, path):
    assert reader.report(path).offsite_requests == [], f"{path} asked for something off this machine"


@pytest.mark.parametrize("path", each_page(ALL_PAGES))
def test_every_math_element_is_typeset(reader, path):
    report = reader.report(path)
    assert report.math_untypeset == [], f"{path}: math left as TeX source"
    assert report.math_errors == [], f"{path}: MathJax reported TeX errors"


@pytest.mark.parametrize("path", each_page(ALL_PAGES))
def test_every_image_is_loaded_with_nonzero_size(reader, path):
    broken = [
        img
        for img in reader.report(path).images
        if not (img["complete"] and img["naturalWidth"] > 0 and img["naturalHeight"] > 0)
        or (img["visible"] and (img["width"] <= 0 or img["height"] <= 0))
    ]
    assert broken == [], f"{path}: images that did not load or have no size"


@pytest.mark.parametrize("path", each_page(ALL_PAGES))
def test_no_glue_or_execution_error_text_is_visible(reader, path):
    report = reader.report(path)
    found = [
        f"{what}: …{report.text[max(0, m.start() - 40) : m.end() + 40]!r}…"
        for pattern, what in BAD_TEXT
        for m in pattern.finditer(report.text)
    ]
    assert found == [], f"{path} shows text a reader must not see"
    assert report.visible_error_outputs == 0, f"{path} shows stderr or error output cells"


@pytest.mark.parametrize("path", each_page(ALL_PAGES))
def test_no_number_is_shown_as_negative_zero(reader, path):
    text = reader.report(path).text
    found = [text[max(0, m.start() - 50) : m.end() + 10] for m in NEGATIVE_ZERO.finditer(text)]
    assert found == [], f"{path} shows a negative zero"


@pytest.mark.parametrize("path", each_page(ALL_PAGES))
def test_no_serious_or_critical_accessibility_violations(reader, path):
    serious = [v for v in reader.report(path).axe_violations if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{path}: axe-core violations"


@pytest.mark.parametrize("path", each_page(PAGES))
def test_page_reads_as_prose_with_the_plumbing_hidden(reader, path):
    """Glue and pinning cells are removed (remove-cell) or folded away (hide-input)."""
    plumbing = [
        line.strip()
        for code in reader.report(path).shown_code
        for line in code.splitlines()
        if re.search(r"\b(publish|publish_all|pinned|glue)\(", line)
    ]
    assert plumbing == [], f"{path} shows publishing code a reader does not need"


@pytest.mark.parametrize("path", each_page(PAGES))
def test_code_cells_have_a_copy_button(reader, path):
    report = reader.report(path)
    assert report.copy_buttons >= report.code_blocks, f"{path}: code without a copy button"


@pytest.mark.parametrize("path", each_page(PAGES))
def test_code_cells_fit_the_text_column(reader, path):
    """At a 1280-pixel-wide window no code cell, hidden ones opened, scrolls sideways
    (chapter code lines are at most 80 characters: tests/test_chapter_code.py)."""
    assert reader.report(path).wide_code == [], f"{path}: code cells wider than the text column"


@pytest.mark.parametrize("path", each_page(PAGES))
def test_figures_stay_legible_in_dark_mode(reader, path):
    """In dark mode the theme puts content images on white; the book's figures are white too."""
    not_white = [
        entry
        for entry in reader.report(path).dark_image_backgrounds
        if not entry.endswith("rgb(255, 255, 255)")
    ]
    assert not_white == [], f"{path}: images without a white background in dark mode"


@pytest.mark.parametrize("path", each_page(PAGES))
def test_previous_and_next_links_follow_the_table_of_contents(reader, base_url, path):
    index = PAGES.index(path)
    report = reader.report(path)
    resolve = lambda href: urlparse(urljoin(urljoin(base_url, path), href)).path.lstrip("/") if href else None  # noqa: E731
    expected_prev = PAGES[index - 1] if index > 0 else None
    expected_next = PAGES[index + 1] if index + 1 < len(PAGES) else None
    assert resolve(report.prev_href) == expected_prev
    assert resolve(report.next_href) == expected_next


# The premise of the scan's shortcut (one contrast check per group of text that looks the
# same) is checked on chapter 2 by `make test`, and on every page by `make
# full-contrast-scan` (BOOK_FULL_SCANS=1), which .ci/run runs after `make test`.
FULL_SCANS = os.environ.get("BOOK_FULL_SCANS", "") not in ("", "0")


@whole_book
@pytest.mark.parametrize("path", ALL_PAGES if FULL_SCANS else [PAGES[2]])
def test_text_that_looks_the_same_gets_one_contrast_verdict(reader, path):
    """The accessibility scan checks the contrast of the first element only of each group
    of code tokens, table cells or prose that look the same (TEXT_BY_LOOK in reader.py).
    A full scan shows why nothing is lost: every element of a group gets the same verdict
    (a group whose first element axe-core skips while it checks the others would show two:
    None and a verdict)."""
    rows = reader.verdicts_by_look(path)
    verdicts: dict[str, set] = {}
    for group, verdict in rows:
        verdicts.setdefault(group, set()).add(verdict)
    sizes = Counter(group for group, _ in rows)
    repeated = [group for group, size in sizes.items() if size > 1]
    if path == PAGES[2]:  # a chapter with prose, code and tables
        for kind in ("PRE", "TABLE", "MAIN"):
            assert sum(group.startswith(kind) for group in repeated) >= 5, f"{path}: too few {kind} groups"
    mixed = {group: kinds for group, kinds in verdicts.items() if len(kinds) > 1}
    assert mixed == {}, f"{path}: text that looks the same with different contrast verdicts"


@whole_book
def test_the_scan_still_catches_faint_code_tables_and_prose(reader):
    """With text that looks the same checked once per group, a token class, table cells or
    paragraphs drawn too faint still fail the scan: the first of each group is checked."""
    faint = "main pre span.n, main table td, main p { color: #d8d8d8 !important; }"
    violations = reader.violations_with_style(PAGES[2], faint)
    contrast = [v for v in violations if v["id"] == "color-contrast"]
    assert contrast and contrast[0]["impact"] == "serious", violations
    targets = [str(target) for target in contrast[0]["targets"]]  # CSS selectors
    kinds = {"code" if "codecell" in t else "table" if "row-" in t or "T_" in t else "prose" for t in targets}
    assert kinds == {"code", "table", "prose"}, targets


@pytest.mark.parametrize("path", each_page(PAGES))
def test_clicking_next_opens_the_next_page(reader, path):
    """Each page's visit ends with a click on "next" (on the last page, "previous"), so a
    reader who clicks "next" from the landing page on walks the whole book in table-of-
    contents order, and can step back from its end."""
    index = PAGES.index(path)
    report = reader.report(path)
    if index + 1 < len(PAGES):
        assert (report.clicked, report.landed_on) == ("a.right-next", PAGES[index + 1])
    else:
        assert (report.clicked, report.landed_on) == ("a.left-prev", PAGES[index - 1])


# --- navigation and search ----------------------------------------------------------------


@whole_book
@pytest.mark.parametrize(
    "query, expected",
    [
        ("tracking error", "chapters/02-the-factor-model-equation.html"),
        ("specific returns", "chapters/02-the-factor-model-equation.html"),
    ],
)
def test_search_finds_the_chapter(reader, base_url, query, expected):
    """The search box on a chapter page leads to a results page that lists the chapter."""
    context, page = reader.new_page()
    try:
        page.goto(urljoin(base_url, PAGES[1]))
        page.keyboard.press("Control+k")  # the theme's shortcut opens the search dialog
        box = page.locator("form.bd-search input[name='q']:visible").first
        box.fill(query)
        box.press("Enter")
        page.wait_for_url(re.compile(r"search\.html\?q="))
        results = page.locator("#search-results ul.search li a")
        results.first.wait_for(timeout=15_000)
        hrefs = [
            urlparse(urljoin(page.url, h)).path.lstrip("/")
            for h in results.evaluate_all("links => links.map(a => a.getAttribute('href'))")
        ]
        assert expected in hrefs
    finally:
        context.close()
