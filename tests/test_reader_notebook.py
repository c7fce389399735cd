"""A chapter downloaded from the built site runs from an empty folder and reads like its page.

The site is served on an ephemeral localhost port. One chapter's ``.ipynb`` is
downloaded into an empty folder and executed (nbclient) by a kernel whose Python cannot
import `mini`: a throw-away virtual environment that sees the book's installed
dependencies (through a folder of links to ``.venv``'s site-packages, `mini` and its
editable-install hook left out) and nothing else. Its first cell must install `mini`
from the wheel the site publishes; pip runs with ``PIP_NO_INDEX``, so nothing but the
served site is reachable. The notebook's Markdown is then compared with the HTML page:
every glued value, every figure, every link.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import http.server
import json
import os
import re
import subprocess
import sys
import sysconfig
import threading
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
CHAPTER = "chapters/02-the-factor-model-equation"  # glued text and a figure, refs, equations


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "_sources" / f"{CHAPTER}.ipynb").is_file():
        message = f"the site is not built ({SITE}): run `make book` first"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return SITE


class _RecordingHandler(http.server.SimpleHTTPRequestHandler):
    requested: list[str] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.requested.append(self.path)
        super().do_GET()


@pytest.fixture(scope="module")
def served(site: Path):
    """(base URL, list of requested paths) of the site served on 127.0.0.1."""
    requested: list[str] = []
    handler_class = type("Handler", (_RecordingHandler,), {"requested": requested})
    handler = functools.partial(handler_class, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", requested
    server.shutdown()
    server.server_close()


def python_without_mini(folder: Path) -> Path:
    """A venv whose Python sees the book's dependencies but not `mini`; returns its python."""
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    deps = folder / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        hidden = entry.name.startswith(("mini", "__editable__")) or entry.suffix == ".pth"
        if not hidden:
            (deps / entry.name).symlink_to(entry)
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "book-deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    return python


@pytest.fixture(scope="module")
def run(served, tmp_path_factory):
    """Download the chapter's notebook into an empty folder and run it without `mini`."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    base, requested = served
    scratch = tmp_path_factory.mktemp("reader")
    python = python_without_mini(scratch)
    probe = subprocess.run([str(python), "-c", "import mini"], capture_output=True, cwd=scratch)
    assert probe.returncode != 0, "the reader's Python must start without mini"

    workdir = scratch / "download"
    workdir.mkdir()
    with urllib.request.urlopen(f"{base}_sources/{CHAPTER}.ipynb") as response:
        (workdir / "chapter.ipynb").write_bytes(response.read())
    downloaded = json.loads((workdir / "chapter.ipynb").read_text(encoding="utf-8"))
    notebook = nbformat.reads(json.dumps(downloaded), as_version=4)

    setup = notebook.cells[0]
    assert setup.metadata.get("book_setup")
    # The site under test lives on this port, whatever BOOK_BASEURL the build had.
    setup.source, count = re.subn(r"^BOOK_SITE = .*$", f"BOOK_SITE = {base!r}", setup.source, flags=re.M)
    assert count == 1
    notebook.cells.append(nbformat.v4.new_code_cell("import mini\nprint(mini.__file__)"))

    kernels = scratch / "kernels" / "reader-without-mini"
    kernels.mkdir(parents=True)
    spec = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "reader without mini",
        "language": "python",
        "env": {"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    }
    (kernels / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    manager = KernelManager(
        kernel_name="reader-without-mini",
        kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels.parent)]),
    )
    # A reader's kernel: not the book's build, no path into the repository, matplotlib's
    # default (inline) backend.
    unset = ("MINI_BOOK_BUILD", "PYTHONPATH", "MPLBACKEND")
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environment)
    try:
        client = NotebookClient(
            notebook,
            km=manager,
            timeout=180,
            resources={"metadata": {"path": str(workdir)}},
            shutdown_kernel="immediate",  # see _ext/book_site/execute.py
        )
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {"downloaded": downloaded, "executed": notebook, "requested": requested, "scratch": scratch}


def markdown_of(notebook: dict) -> str:
    return "\n\n".join(
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in notebook["cells"]
        if cell["cell_type"] == "markdown"
    )


def page_html(site: Path) -> str:
    return (site / f"{CHAPTER}.html").read_text(encoding="utf-8")


def test_the_chapter_runs_with_mini_from_the_site_wheel(run):
    executed = run["executed"]
    printed = "".join(output.get("text", "") for output in executed.cells[-1].outputs)
    assert str(run["scratch"] / "venv") in printed, f"mini was not installed from the wheel: {printed}"
    wheels = [path for path in run["requested"] if path.endswith(".whl")]
    assert wheels and all(path.startswith("/_static/wheels/mini-") for path in wheels), run["requested"]
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(cell.get("execution_count") for cell in code), "a code cell did not run"
    errors = [o for cell in code for o in cell.outputs if o.get("output_type") == "error"]
    assert not errors


def test_figures_show_under_the_cells_that_draw_them_when_run(run):
    downloaded = [c for c in run["downloaded"]["cells"] if c["cell_type"] == "code"]
    executed = [c for c in run["executed"].cells if c.cell_type == "code"]

    def images(cells):
        return sum("image/png" in o.get("data", {}) for c in cells for o in c.get("outputs", []))

    # The site's own execution displays no figure under a cell (the page places them);
    # a reader's run does.
    assert images(executed) > images(downloaded)


def test_the_markdown_reads_like_the_page(site, run):
    markdown = markdown_of(run["downloaded"])
    for leftover in ("{glue", "{ref}", "{numref}", "{eq}", "{doc}", "```{", ":::", "{exercise}", "{solution"):
        assert leftover not in markdown, f"unrendered MyST in the notebook: {leftover}"
    assert not re.search(r"^\([\w-]+\)=\s*$", markdown, flags=re.M), "a MyST label is left in the text"

    # Every glued value on the page, as the page prints it, is in the notebook's text.
    text = re.sub(r"\s+", " ", markdown)
    values = [
        html.unescape(v) for v in re.findall(r'<span class="pasted-text">([^<]*)</span>', page_html(site))
    ]
    assert len(values) >= 5
    missing = [value for value in values if value not in text]
    assert not missing, f"glued values of the page missing from the notebook: {missing[:10]}"


def test_every_figure_of_the_page_is_embedded(site, run):
    page = page_html(site)
    shown = {
        hashlib.sha256((site / "_images" / name).read_bytes()).hexdigest()
        for name in re.findall(r'<img[^>]+src="\.\./_images/([^"]+)"', page)
    }
    assert shown, "the page shows no figure"
    embedded, outputs = set(), set()
    for cell in run["downloaded"]["cells"]:
        for name, bundle in cell.get("attachments", {}).items():
            source = "".join(cell["source"])
            assert f"attachment:{name}" in source
            embedded.add(hashlib.sha256(base64.b64decode(bundle["image/png"])).hexdigest())
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                outputs.add(hashlib.sha256(base64.b64decode(output["data"]["image/png"])).hexdigest())
    assert embedded, "no figure is embedded in the Markdown"
    assert shown <= embedded | outputs, "a figure of the page is missing from the notebook"


def test_links_point_at_pages_of_the_site(site, run):
    markdown = markdown_of(run["downloaded"])
    # Relative to the notebook's place in the site, or absolute under BOOK_BASEURL.
    published = run["downloaded"]["metadata"]["book_reader"].get("site") or ""
    links = re.findall(r"\]\(([^)\s]+)\)", markdown)
    internal = [
        link.removeprefix(published) if published else link
        for link in links
        if (published and link.startswith(published))
        or not link.startswith(("http", "attachment:", "mailto:"))
    ]
    assert internal, "no cross-reference was turned into a link"
    base = site if published else (site / "_sources" / CHAPTER).parent
    for link in internal:
        target = (base / link.split("#")[0]).resolve()
        assert target.is_file() and target.suffix == ".html", f"link to nowhere: {link}"
    assert "Cross Reference Not Found" not in markdown and "??" not in markdown


def test_plumbing_cells_are_kept_but_folded(run):
    cells = run["downloaded"]["cells"]
    plumbing = [c for c in cells if "remove-cell" in c["metadata"].get("tags", [])]
    assert plumbing, "the chapter's publish and pin cells are missing"
    for cell in plumbing:
        assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True
        assert "".join(cell["source"]).startswith("# Book plumbing")


# --- JupyterLab: saving a chapter leaves its source as it was ---------------------------------


def test_saving_a_chapter_from_jupyter_leaves_its_markdown_unchanged(tmp_path):
    """jupytext.toml: a chapter opened as a notebook, run, folded and saved is byte-identical.

    The notebook gets what a JupyterLab session gives it (the running kernel's spec, its
    language_info, folded cells, execution timings); the chapter is then written back
    with jupytext, which reads the repository's jupytext.toml as JupyterLab does.
    """
    import jupytext
    import nbformat
    from jupytext.cli import jupytext as jupytext_cli

    (tmp_path / "jupytext.toml").write_bytes((ROOT / "jupytext.toml").read_bytes())
    original = (ROOT / "chapters" / "09-risk-attribution.md").read_text(encoding="utf-8")
    notebook = jupytext.reads(original, fmt="md:myst")
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    notebook.metadata["language_info"] = {"name": "python", "version": "3.11.2"}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.metadata["jupyter"] = {"source_hidden": True}
            cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}
    nbformat.write(notebook, tmp_path / "chapter.ipynb")
    jupytext_cli([str(tmp_path / "chapter.ipynb"), "--to", "md:myst", "--quiet"])
    assert (tmp_path / "chapter.md").read_text(encoding="utf-8") == original


def test_the_site_wheel_carries_the_whole_library_and_its_data(site):
    import zipfile

    wheels = sorted((site / "_static" / "wheels").glob("mini-*.whl"))
    assert len(wheels) == 1, f"expected one wheel of mini in the site, found {wheels}"
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    modules = {f"mini/{path.name}" for path in (ROOT / "mini").glob("*.py")}
    expected = modules | {"mini/data/__init__.py", "mini/data/reference_figures.csv"}
    assert expected <= names, f"the wheel lacks {sorted(expected - names)}"


def test_every_figure_keeps_the_alt_text_of_the_page(site):
    """A figure embedded in the notebook's Markdown says what it shows, as on the page."""
    page_alts = [
        html.unescape(alt)
        for alt in re.findall(r'<img\b[^>]*\salt="([^"]*)"[^>]*src="\.\./_images/', page_html(site))
    ]
    assert page_alts, "the page shows no figure"
    notebook = json.loads((site / "_sources" / f"{CHAPTER}.ipynb").read_text(encoding="utf-8"))
    notebook_alts = re.findall(r"!\[([^\]]*)\]\(attachment:", markdown_of(notebook))
    assert notebook_alts == [" ".join(alt.split()) for alt in page_alts]
