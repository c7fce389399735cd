"""Checks of the built site that need no browser: files, links, offline assets, numbering.

They read `_build/html`, which `make test` builds first. Run alone without a built site,
they fail with a message saying so.
"""

from __future__ import annotations

import html as html_module
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
CHAPTERS = [c["file"] for part in TOC.get("parts", []) for c in part["chapters"]] + [
    c["file"] for c in TOC.get("chapters", [])
]
PAGES = [TOC["root"]] + CHAPTERS
# The repository the site was built for: `make test` builds and tests in one environment.
REPOSITORY = os.environ.get("BOOK_REPOSITORY_URL", "").strip().rstrip("/").removesuffix(".git")
PLACEHOLDER = "mini-model/factor-risk-primer"  # the URL _config.yml used to carry


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(
            f"The site is not built ({SITE} is missing): run `make book` first "
            "(`make test` builds it before testing).",
            pytrace=False,
        )
    return SITE


def html(site: Path, page: str) -> str:
    return (site / f"{page}.html").read_text(encoding="utf-8")


def test_the_site_has_exactly_the_books_pages(site):
    """No stray page (a README, a notebook left next to a chapter): only the TOC's pages."""
    built = {
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if not p.relative_to(site).as_posix().startswith(("_static/", "_sources/", "_images/"))
    }
    assert built == {f"{p}.html" for p in PAGES} | {"index.html", "search.html", "genindex.html"}


# --- offline -------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES + ["search", "genindex"])
def test_pages_load_no_asset_from_the_network(site, page):
    text = html(site, page)
    remote = re.findall(r"<(?:script|img|iframe)[^>]*\ssrc=\"(https?:|//)[^\"]*\"", text)
    remote += re.findall(
        r"<link[^>]*\shref=\"((?:https?:|//)[^\"]*)\"[^>]*rel=\"(?:stylesheet|preload|icon)\"", text
    )
    remote += re.findall(
        r"<link[^>]*rel=\"(?:stylesheet|preload|icon)\"[^>]*\shref=\"((?:https?:|//)[^\"]*)\"", text
    )
    assert remote == []
    assert not re.search(r"cdn\.jsdelivr|unpkg\.com|cdnjs|googleapis", text), "a CDN is named in the page"


def test_mathjax_is_served_from_the_site(site):
    with_math = [c for c in CHAPTERS if 'class="math' in html(site, c)]
    assert with_math, "no chapter has math?"
    for chapter in with_math:
        assert re.search(r'<script[^>]*src="\.\./_static/mathjax/tex-chtml\.js[?"]', html(site, chapter)), (
            chapter
        )
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


def test_the_site_has_a_favicon(site):
    assert 'rel="icon"' in html(site, TOC["root"])
    assert (site / "_static" / Path(CONFIG["html"]["favicon"]).name).is_file()


# --- numbering ---------------------------------------------------------------------------


def test_chapters_are_numbered_across_parts(site):
    for number, chapter in enumerate(CHAPTERS, start=1):
        title = re.search(r'<h1><span class="section-number">([\d.]+) </span>', html(site, chapter))
        assert title and title.group(1) == f"{number}.", chapter


def test_figures_and_equations_carry_the_chapter_number(site):
    for number, chapter in enumerate(CHAPTERS, start=1):
        text = html(site, chapter)
        for label in re.findall(r'class="caption-number">Fig\. ([\d.]+) ', text):
            assert label.startswith(f"{number}."), (chapter, label)
        for label in re.findall(r'class="eqno">\(([\d.]+)\)', text):
            assert label.startswith(f"{number}."), (chapter, label)


# --- figures for every reader ----------------------------------------------------------
#
# A screen reader reads an image's alt text in place of the image. Every figure of the
# book says what it shows (`:alt:` of its {glue:figure}); an image without one shows up
# in the HTML with its file path as alt text, which tells a listener nothing.

GENERIC_ALT = {
    "alt", "alt text", "chart", "diagram", "figure", "graph", "image", "img", "picture",
    "placeholder", "plot", "tbd", "todo", "untitled",
}  # fmt: skip
MIN_ALT_WORDS = 6


def bad_alt_texts(page: str) -> list[str]:
    """The alt text of every ``<img>`` in ``page`` that does not describe its image:
    missing or empty, a file path or file name, or a generic word such as "figure"."""
    bad = []
    for tag in re.findall(r"<img\b[^>]*>", page):
        found = re.search(r'\salt="([^"]*)"', tag)
        alt = html_module.unescape(found.group(1)).strip() if found else ""
        words = re.findall(r"[^\W\d_]+", alt)
        if (
            not alt
            or re.search(r"[/\\]|\.(png|jpe?g|svg|gif|webp)\b|[0-9a-f]{16}", alt, re.IGNORECASE)
            or re.sub(r"[\W\d_]+", " ", alt).strip().lower() in GENERIC_ALT
            or re.fullmatch(r"(fig(ure)?\.?|image|chart)\s*[\d.:]*", alt, re.IGNORECASE)
            or len(words) < MIN_ALT_WORDS
        ):
            bad.append(alt or tag)
    return bad


def test_the_alt_text_check_catches_paths_placeholders_and_blanks():
    page = "".join(
        f'<img alt="{alt}" src="x.png" />'
        for alt in [
            "../_images/21fc6ee9799e3e44299a9de45922c05a.png",
            "fig-axiom-split.png",
            "",
            "Figure",
            "Fig. 2.1",
            "image",
            "Bar chart: the momentum factor contributes most of the active risk.",
        ]
    )
    assert len(bad_alt_texts(page + '<img src="y.png">')) == 7


@pytest.mark.parametrize("page", PAGES)
def test_every_image_says_what_it_shows(site, page):
    text = html(site, page)
    assert bad_alt_texts(text) == [], f"{page}: images without a description"
    if page in CHAPTERS and "<figure" in text:  # the caption is there too
        for figure in re.findall(r"<figure\b.*?</figure>", text, flags=re.S):
            assert re.search(r"<figcaption>.*?\w+.*?</figcaption>", figure, flags=re.S), page


# --- downloads and launch buttons ----------------------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_downloads_as_md_and_ipynb(site, chapter):
    text = html(site, chapter)
    name = Path(chapter).name
    for suffix in (".md", ".ipynb"):
        assert f'_sources/{chapter}{suffix}"' in text, f"no {suffix} download button"
        assert (site / "_sources" / f"{chapter}{suffix}").is_file()
    assert (site / "_sources" / f"{chapter}.md").read_text(encoding="utf-8") == (
        ROOT / f"{chapter}.md"
    ).read_text(encoding="utf-8"), f"{name}.md is not the chapter's source"
    notebook = json.loads((site / "_sources" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    cells = notebook["cells"]
    assert cells[0]["metadata"].get("book_setup"), "the notebook lacks the setup cell for mini"
    setup = "".join(cells[0]["source"])
    # The first cell installs mini from the site's wheel (book_site/notebooks.py), never
    # by cloning a repository, and says how to install it where the site is unknown.
    assert '"git"' not in setup and "pip" in setup and "MINI_WHEEL" in setup
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in cells[1:] if c["cell_type"] == "code"]
    assert all(c.get("execution_count") for c in code), "the notebook is not executed"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_launch_buttons_open_the_chapter_on_binder_and_colab(site, chapter):
    if not REPOSITORY:
        pytest.skip("BOOK_REPOSITORY_URL is not set: the site has no launch buttons (checked below)")
    text = html(site, chapter)
    repo = REPOSITORY.removeprefix("https://github.com/")
    branch = CONFIG["repository"]["branch"]
    binder = f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=lab/tree/{chapter}.md"
    assert binder in text
    colab = re.search(
        rf'https://colab\.research\.google\.com/github/{re.escape(repo)}/blob/[\w.-]+/([^"]+)"', text
    )
    assert colab and colab.group(1) == f"_sources/{chapter}.ipynb"
    assert f'href="{REPOSITORY}"' in text, "no repository button"


@pytest.mark.parametrize("page", PAGES)
def test_no_button_leads_to_a_repository_that_is_not_set(site, page):
    """Without BOOK_REPOSITORY_URL: no repository, issues or launch button, no placeholder."""
    text = html(site, page)
    assert PLACEHOLDER not in text or PLACEHOLDER in REPOSITORY
    if REPOSITORY:
        return
    links = re.findall(r'href="([^"]*(?:mybinder\.org|colab\.research|github\.com|/issues/new)[^"]*)"', text)
    assert links == [], "links to a repository that is not set"
    for button in ("dropdown-launch-buttons", "btn-source-repository-button", "btn-source-issues-button"):
        assert button not in text


def test_the_configuration_names_no_repository():
    """The URL comes from the environment only: _config.yml holds no (placeholder) URL."""
    assert "url" not in CONFIG.get("repository", {})
    assert PLACEHOLDER not in (ROOT / "_config.yml").read_text(encoding="utf-8")


def test_binder_opens_the_myst_chapters_as_notebooks():
    binder = ROOT / ".binder"
    requirements = (binder / "requirements.txt").read_text(encoding="utf-8")
    assert "-r ../requirements.txt" in requirements and "jupyterlab" in requirements
    assert "jupytext" in (ROOT / "requirements.txt").read_text(encoding="utf-8")
    viewers = json.loads((binder / "overrides.json").read_text(encoding="utf-8"))[
        "@jupyterlab/docmanager-extension:plugin"
    ]["defaultViewers"]
    assert viewers["markdown"] == viewers["myst"] == "Jupytext Notebook"
    # mini comes from requirements.txt (`-e .`); postBuild installs the viewer settings
    assert "-e ." in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    post_build = (binder / "postBuild").read_text(encoding="utf-8")
    assert "overrides.json" in post_build
    # mini comes from the repository itself, installed editable by requirements.txt
    assert "-e ." in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()


# --- llms.txt and llms-full.txt ------------------------------------------------------------


def test_llms_txt_lists_every_chapter_with_a_summary(site):
    text = (site / "llms.txt").read_text(encoding="utf-8")
    assert text.startswith(f"# {CONFIG['title']}\n")
    for chapter in CHAPTERS:
        line = re.search(rf"^- \[\d+\. [^\]]+\]\({re.escape(chapter)}\.html\): (.+)$", text, re.M)
        assert line and line.group(1).strip(), chapter


def test_llms_full_txt_is_the_whole_book_with_every_figure_filled_in(site):
    text = (site / "llms-full.txt").read_text(encoding="utf-8")
    for pattern in (r"\{glue", r"glue:text", r"\{(ref|eq|numref)\}`", r"```\{code-cell", r"<Figure size"):
        assert not re.search(pattern, text), f"llms-full.txt contains {pattern}"
    for chapter in CHAPTERS:
        assert f"<!-- {chapter}.html -->" in text
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text):
        assert (site / image).is_file(), f"llms-full.txt links a missing image {image}"
    # a frame whose index and columns share a name has two header rows; merged, the name shows once
    assert "| stock |" in text and "| stock stock |" not in text


def test_the_appendix_data_table_keeps_its_formats(site):
    """A second Styler.format call with a dict resets the first: cap weights then showed
    pandas' default six decimals (24.390244) instead of 24.39."""
    text = html(site, "chapters/17-appendix")
    assert re.search(r">24\.39</td>", text) and not re.search(r">24\.390244</td>", text)
    assert re.search(r">150</td>", text)  # AXIOM's cap, whole $bn


# --- the execution cache is keyed on mini ---------------------------------------------------


def _book_site():
    if str(ROOT / "_ext") not in sys.path:
        sys.path.insert(0, str(ROOT / "_ext"))
    return importlib.import_module("book_site")


def test_the_execution_cache_key_follows_minis_source(tmp_path):
    book_site = _book_site()
    (tmp_path / "mini").mkdir()
    (tmp_path / "mini" / "a.py").write_text("x = 1\n")
    (tmp_path / "requirements.txt").write_text("numpy\n")
    first = book_site.mini_source_hash(tmp_path)
    assert book_site.mini_source_hash(tmp_path) == first
    (tmp_path / "mini" / "a.py").write_text("x = 2\n")
    assert book_site.mini_source_hash(tmp_path) != first
    (tmp_path / "mini" / "a.py").write_text("x = 1\n")
    (tmp_path / "mini" / "__pycache__").mkdir()
    (tmp_path / "mini" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert book_site.mini_source_hash(tmp_path) == first  # bytecode does not count
    (tmp_path / "mini" / "data.csv").write_text("a,b\n")
    with_data = book_site.mini_source_hash(tmp_path)
    assert with_data != first  # data shipped with mini does
    (tmp_path / "mini" / "sub").mkdir()
    (tmp_path / "mini" / "sub" / "b.py").write_text("")
    assert book_site.mini_source_hash(tmp_path) not in (first, with_data)


def test_the_book_builds_with_the_cache_of_the_current_mini(site):
    book_site = _book_site()
    caches = sorted(p.name for p in (ROOT / "_build").glob(".jupyter_cache-*"))
    assert caches == [f".jupyter_cache-{book_site.mini_source_hash(ROOT)}"]


# --- the repository is one setting (BOOK_REPOSITORY_URL) ------------------------------------

THEME_OPTIONS = {  # as jupyter-book makes them from _config.yml (buttons off there)
    "use_repository_button": False,
    "use_issues_button": False,
    "use_download_button": True,
    "repository_branch": "main",
    "launch_buttons": {
        "notebook_interface": "jupyterlab",
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "thebe": False,
    },
}


def _configured(monkeypatch, url: str | None) -> dict:
    book_site = _book_site()
    if url is None:
        monkeypatch.delenv("BOOK_REPOSITORY_URL", raising=False)
    else:
        monkeypatch.setenv("BOOK_REPOSITORY_URL", url)
    config = SimpleNamespace(html_theme_options=json.loads(json.dumps(THEME_OPTIONS)))
    book_site.apply_repository(None, config)
    return config.html_theme_options


@pytest.mark.parametrize("url", ["https://github.com/org/book", "https://github.com/org/book.git/"])
def test_a_repository_url_in_the_environment_reaches_the_buttons(monkeypatch, url):
    options = _configured(monkeypatch, url)
    assert options["repository_url"] == "https://github.com/org/book"
    assert options["use_repository_button"] and options["use_issues_button"]
    assert options["launch_buttons"] == THEME_OPTIONS["launch_buttons"]


@pytest.mark.parametrize("url", [None, "", "  "])
def test_without_a_repository_no_button_needs_one(monkeypatch, url):
    options = _configured(monkeypatch, url)
    assert "repository_url" not in options
    assert not options["use_repository_button"] and not options["use_issues_button"]
    assert options["use_download_button"]
    assert options["launch_buttons"] == {"notebook_interface": "jupyterlab"}


FIXTURE_PAGE = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A page

```{code-cell} ipython3
x = 1
```
"""


def _fixture_book(folder: Path) -> Path:
    """A one-page notebook book with the site's extension and the book's button settings."""
    (folder / "page.md").write_text(FIXTURE_PAGE, encoding="utf-8")
    (folder / "_toc.yml").write_text("format: jb-book\nroot: page\n", encoding="utf-8")
    config = {
        "title": "Fixture",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        "html": {key: CONFIG["html"][key] for key in ("use_repository_button", "use_issues_button")},
        "repository": CONFIG["repository"],
        "launch_buttons": CONFIG["launch_buttons"],
        "sphinx": {"local_extensions": {"book_site": str(ROOT / "_ext")}},
    }
    (folder / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return folder


@pytest.mark.parametrize("url", ["https://github.com/org/book", None])
def test_a_small_book_built_with_and_without_a_repository(tmp_path, url):
    """The whole path, in a real build: environment → config hook → theme → page and notebook."""
    book = _fixture_book(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "BOOK_REPOSITORY_URL"}
    if url:
        env["BOOK_REPOSITORY_URL"] = url
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    done = subprocess.run(
        [str(jupyter_book), "build", str(book), "-W", "-n", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    page = (book / "_build" / "html" / "page.html").read_text(encoding="utf-8")
    notebook = json.loads((book / "_build" / "html" / "_sources" / "page.ipynb").read_text(encoding="utf-8"))
    setup = "".join(notebook["cells"][0]["source"])
    assert "_sources/page.ipynb" in page, "no .ipynb download"
    if url:
        assert "https://mybinder.org/v2/gh/org/book/main?urlpath=lab/tree/page.md" in page
        assert 'href="https://github.com/org/book"' in page
    else:
        assert not re.search(r'href="[^"]*(mybinder\.org|colab\.research|github\.com)', page)
        assert "dropdown-launch-buttons" not in page and "btn-source-repository-button" not in page
    assert '"git"' not in setup and "pip" in setup  # mini comes from the site's wheel


# --- bibliography and glossary ---------------------------------------------------------------

BIB = ROOT / "references.bib"
APPENDIX = "chapters/17-appendix"


def _bib_keys() -> list[str]:
    text = BIB.read_text(encoding="utf-8")
    return re.findall(r"^@\w+\s*\{\s*([^,\s]+)\s*,", text, re.M)


def _cited_keys() -> set[str]:
    """Keys cited with {cite}, {cite:p}, {cite:t}, ... in the book's sources."""
    cited: set[str] = set()
    for page in PAGES:
        source = (ROOT / f"{page}.md").read_text(encoding="utf-8")
        for keys in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", source):
            cited.update(key.strip() for key in keys.split(","))
    return cited


def test_references_bib_has_entries_and_no_duplicate_keys():
    keys = _bib_keys()
    assert len(keys) > 20
    assert len(keys) == len(set(keys)), "a key appears twice in references.bib"
    assert CONFIG["bibtex_bibfiles"] == ["references.bib"]


def test_every_bibliography_entry_is_cited_somewhere():
    uncited = sorted(set(_bib_keys()) - _cited_keys())
    assert uncited == [], f"entries of references.bib that no chapter cites: {uncited}"


def test_every_citation_has_an_entry():
    unknown = sorted(_cited_keys() - set(_bib_keys()))
    assert unknown == [], f"citations without an entry in references.bib: {unknown}"


def test_citations_link_to_the_bibliography_in_the_appendix(site):
    appendix = html(site, APPENDIX)
    ids = set(re.findall(r'<div class="citation" id="([^"]+)"', appendix))
    assert len(ids) == len(_bib_keys()), "the appendix's bibliography does not list every entry"
    linked = 0
    for chapter in CHAPTERS:
        for span in re.findall(r'<span class="bibtex-citation"[^>]*>(.*?)</span>', html(site, chapter), re.S):
            for target in re.findall(r'href="(?:17-appendix\.html)?#([^"]+)"', span):
                linked += 1
                assert target in ids, (chapter, target)
    assert linked >= len(_bib_keys())


def test_llms_full_txt_renders_citations_and_the_bibliography_as_text(site):
    text = (site / "llms-full.txt").read_text(encoding="utf-8")
    assert not re.search(r"\{cite(:\w+)?\}`", text), "a raw {cite} role in llms-full.txt"
    assert not re.search(r"\{term\}`", text), "a raw {term} role in llms-full.txt"
    # author-year citations in the prose
    assert "(Newey and West, 1987)" in text
    assert "Chen et al." in text or "Chen, Roll and Ross" in text
    # the bibliography, one entry a line, with its author, title and journal
    bibliography = text[text.index("Every work cited in the book") :]
    assert "extra-market components of covariance in security returns" in bibliography.lower()
    assert "honey, i shrunk the sample covariance matrix" in bibliography.lower()
    assert "*Journal of Performance Measurement*, 3(4), 1999" in bibliography  # volume kept without pages
    entries = re.findall(r"^- \[[^\]]+\] .+$", bibliography, re.M)
    assert len(entries) == len(_bib_keys())


def _glossary_terms(site) -> dict[str, str]:
    """{anchor id: term} of the appendix's glossary."""
    appendix = html(site, APPENDIX)
    terms = re.findall(r'<dt id="(term-[^"]+)">(.*?)<a class="headerlink"', appendix, re.S)
    return {anchor: re.sub(r"<[^>]+>", "", label).strip() for anchor, label in terms}


def test_the_glossary_is_a_sphinx_glossary(site):
    terms = _glossary_terms(site)
    assert len(terms) >= 30
    assert '<dl class="simple glossary">' in html(site, APPENDIX) or 'class="glossary' in html(site, APPENDIX)


def test_every_glossary_term_is_linked_from_a_chapter(site):
    terms = _glossary_terms(site)
    linked: set[str] = set()
    for chapter in CHAPTERS:
        if chapter == APPENDIX:
            continue
        linked.update(re.findall(r'href="17-appendix\.html#(term-[^"]+)"', html(site, chapter)))
    missing = sorted(terms[anchor] for anchor in set(terms) - linked)
    assert missing == [], f"glossary terms no chapter links to: {missing}"
