"""The reader's notebook: each chapter's downloadable ``.ipynb``, made to read like its page.

myst-nb publishes a chapter's notebook as it read it: the MyST Markdown verbatim, so a
Jupyter front end shows every ``{glue:text}`` number as its bare key, every
``{glue:figure}`` and exercise as an unknown directive and every ``{ref}`` as
unresolved. This module rewrites ``_sources/<chapter>.ipynb`` when the page is written
(``html-page-context``):

- the Markdown is rendered from the page's *resolved* doctree (the tree the HTML is
  written from, see ``llms.MarkdownRenderer``), so glued values read exactly as on the
  page, cross-references become their text ("Fig. 9.2", "(9.1)", a chapter title) linked
  to the site's page, and exercises, solutions and admonitions become block quotes;
- every figure the page shows is embedded where the page shows it, as a cell attachment
  of the Markdown cell (works in JupyterLab, classic Notebook, VS Code and Colab);
- the code cells are the chapter's own, with the outputs of the build's execution (in
  cache mode myst-nb writes the notebook unexecuted: the outputs come back from the
  jupyter-cache); the cells the site removes (publishing, pins) are kept, folded
  (``jupyter.source_hidden``) and marked with a comment line; folded cells stay folded;
- a first cell installs `mini` when it is missing (see ``setup_cell``).

Markdown cells follow the chapter's own cell boundaries: every doctree node knows its
source line, and myst-nb's source map gives each cell's first line.

**Installing `mini` from the site.** ``builder-inited`` packages `mini` as a wheel from
``pyproject.toml`` (only when `mini` changed: wheels are kept per source hash under
``_build/wheels/``) and the site publishes it as ``_static/wheels/<wheel>``. The setup
cell installs that wheel, checked by its SHA-256, plus the runtime dependencies pinned
to the versions the book was built with, from the site's address: the build-time
environment variable ``BOOK_BASEURL``, which also becomes Sphinx's ``html_baseurl``.
Without it the cell says how to install `mini` instead.

**Figures under the cells that draw them.** The build sets ``MINI_BOOK_BUILD=1`` for the
kernels it starts; ``mini.book.publish`` glues values only when that is set, and
displays nothing then, so the site (which shows figures through ``{glue:figure}``)
never shows one twice, while a reader's kernel shows each figure under its cell.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import posixpath
import shutil
import subprocess
import sys
import tempfile
import tomllib
from importlib import metadata
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from .llms import MarkdownRenderer

LOGGER = logging.getLogger(__name__)

#: Set for every kernel the build starts; ``mini.book.publish`` reads it.
BUILD_FLAG = "MINI_BOOK_BUILD"
#: The site's address at build time (e.g. https://example.org/primer/).
BASEURL_VARIABLE = "BOOK_BASEURL"
#: Where the wheel of `mini` is published, relative to the site root.
WHEEL_DIR = "_static/wheels"

PLUMBING_NOTE = "# Book plumbing (hidden on the site): glues figures into the text and pins them."
RECORD_MIME = "application/papermill.record/"


def book_baseurl() -> str:
    """``BOOK_BASEURL`` with a trailing slash, or '' when it is not set."""
    value = os.environ.get(BASEURL_VARIABLE, "").strip()
    return value.rstrip("/") + "/" if value else ""


def configure(app: Sphinx, config: Config) -> None:
    os.environ[BUILD_FLAG] = "1"  # inherited by every kernel the build starts
    if book_baseurl():
        config.html_baseurl = book_baseurl()


# --- the wheel ---------------------------------------------------------------------------


def build_wheel(srcdir: Path, build_dir: Path, source_hash: str) -> Path | None:
    """The wheel of `mini` for this source hash, built once (no network, no isolation)."""
    target = build_dir / "wheels" / source_hash
    existing = sorted(target.glob("mini-*.whl")) if target.is_dir() else []
    if existing:
        return existing[0]
    with tempfile.TemporaryDirectory(prefix="mini-wheel-") as scratch:
        # Build from a copy: an in-tree build leaves build/ and *.egg-info behind.
        tree = Path(scratch, "src")
        tree.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(srcdir / name, tree / name)
        shutil.copytree(srcdir / "mini", tree / "mini", ignore=shutil.ignore_patterns("__pycache__"))
        out = Path(scratch, "dist")
        command = [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--disable-pip-version-check",
            str(tree),
            "-w",
            str(out),
        ]
        result = subprocess.run(command, capture_output=True, text=True)
        wheels = sorted(out.glob("mini-*.whl"))
        if result.returncode != 0 or not wheels:
            LOGGER.warning(f"[book_site] could not build the wheel of mini: {result.stderr.strip()[-600:]}")
            return None
        if build_dir.joinpath("wheels").is_dir():
            shutil.rmtree(build_dir / "wheels")
        target.mkdir(parents=True)
        return Path(shutil.copy2(wheels[0], target / wheels[0].name))


def publish_wheel(app: Sphinx) -> None:
    app.env_wheel = None  # type: ignore[attr-defined]
    if app.builder.format != "html":
        return
    from . import mini_source_hash

    srcdir = Path(app.srcdir)
    if not (srcdir / "pyproject.toml").is_file():  # a book without the library beside it
        LOGGER.info("[book_site] no pyproject.toml: no wheel of mini to publish")
        return
    wheel = build_wheel(srcdir, Path(app.outdir).parent, mini_source_hash(srcdir))
    if wheel is None:
        return
    published = Path(app.outdir, WHEEL_DIR)
    published.mkdir(parents=True, exist_ok=True)
    for stale in published.glob("*.whl"):
        if stale.name != wheel.name:
            stale.unlink()
    if not (published / wheel.name).is_file() or (published / wheel.name).read_bytes() != wheel.read_bytes():
        shutil.copy2(wheel, published / wheel.name)
    app.env_wheel = (wheel.name, hashlib.sha256(wheel.read_bytes()).hexdigest())  # type: ignore[attr-defined]


# --- the setup cell ----------------------------------------------------------------------


def runtime_pins(srcdir: Path) -> list[str]:
    """mini's dependencies (``[project] dependencies`` of pyproject.toml, and the ``data``
    extra the real-data chapters need), pinned to the versions installed in the build's
    environment."""
    from packaging.requirements import Requirement

    if not (srcdir / "pyproject.toml").is_file():  # a book without the library beside it
        return []
    project = tomllib.loads((srcdir / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = []
    extras = project.get("optional-dependencies", {})
    for spec in [*project.get("dependencies", []), *extras.get("data", [])]:
        name = Requirement(spec).name
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pins.append(spec)
    return pins


def setup_cell(site: str, wheel: tuple[str, str] | None, pins: list[str]) -> str:
    name, digest = wheel or ("", "")
    lines = [
        "# Setup: installs `mini`, the book's library, when this notebook runs outside the",
        "# book's repository (a downloaded chapter, Colab). Where `mini` is importable (the",
        "# repository, Binder, an environment with `mini` installed) it does nothing.",
        f"BOOK_SITE = {site or None!r}  # the published book's address",
        f"MINI_WHEEL = {f'{WHEEL_DIR}/{name}' if name else None!r}",
        f"MINI_WHEEL_SHA256 = {digest or None!r}",
        f"REQUIREMENTS = {pins!r}  # as the book was built",
        "",
        "import importlib",
        "import importlib.util",
        "",
        'if importlib.util.find_spec("mini") is None:',
        "    if BOOK_SITE and MINI_WHEEL:",
        "        import subprocess",
        "        import sys",
        "",
        '        wheel = f"{BOOK_SITE}{MINI_WHEEL}#sha256={MINI_WHEEL_SHA256}"',
        '        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]',
        "        subprocess.run([*pip, wheel, *REQUIREMENTS], check=True)",
        "        importlib.invalidate_caches()",
        "    else:",
        "        print(",
        '            "This notebook needs `mini`, the book\'s library, and does not know where the book "',
        '            "is published. Install it into this notebook\'s environment, then restart the "',
        '            "kernel: either `pip install <wheel>` with the wheel linked from the book\'s site "',
        '            "(_static/wheels/), or clone the book\'s repository and run `pip install .` in it."',
        "        )",
    ]
    return "\n".join(lines)


# --- Markdown from the resolved doctree ---------------------------------------------------


def _is_code_cell(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Element) and node.get("nb_element") == "cell_code"


def _line(node: nodes.Node) -> int | None:
    for candidate in node.findall(nodes.Element) if isinstance(node, nodes.Element) else []:
        if candidate.line:
            return candidate.line
    return None


class NotebookRenderer(MarkdownRenderer):
    """The page as Markdown pieces tagged by source cell, figures as cell attachments."""

    def __init__(self, app: Sphinx, docname: str, notebook_dir: str, site: str) -> None:
        super().__init__(app, docname)
        self.page = app.builder.get_target_uri(docname)
        self.notebook_dir = notebook_dir  # the notebook's folder in the site (_sources/...)
        self.site = site
        self.attachments: dict[str, dict[str, str]] = {}

    # -- links to the site
    def site_link(self, target: str) -> str:
        """A link to ``target`` (a path from the site root) from the published notebook."""
        if self.site:
            return self.site + target
        return posixpath.relpath(target.split("#")[0] or ".", self.notebook_dir) + (
            "#" + target.split("#", 1)[1] if "#" in target else ""
        )

    def inline(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.reference) and not node.get("refuri", "").startswith(
            ("http://", "https://", "mailto:")
        ):
            text = self.inlines(node)
            if node.get("refid"):
                target = f"{self.page}#{node['refid']}"
            elif node.get("refuri"):
                path, _, fragment = node["refuri"].partition("#")
                here = posixpath.dirname(self.page)
                target = posixpath.normpath(posixpath.join(here, path)) if path else self.page
                target += f"#{fragment}" if fragment else ""
            else:
                return text
            return f"[{text}]({self.site_link(target)})" if text else ""
        return super().inline(node)

    # -- figures as attachments
    def image_file(self, node: nodes.image) -> Path | None:
        uri = node.get("uri", "")
        candidates = [Path(uri), Path(self.app.srcdir, uri)]
        if uri in self.env.images:
            candidates.append(Path(self.app.outdir, "_images", self.env.images[uri][1]))
        # By the time a page is written the HTML builder has rewritten the uri to
        # "../_images/<name>", and on a fresh build _images/ is filled only at the end:
        # find the source file that Sphinx will copy under that name.
        name = Path(uri).name
        candidates += [
            Path(self.app.srcdir, source) for source, (_, dest) in self.env.images.items() if dest == name
        ]
        candidates.append(Path(self.app.outdir, "_images", name))
        return next((path for path in candidates if path.is_file()), None)

    def image_path(self, node: nodes.image) -> str:
        path = self.image_file(node)
        mime = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
        if path is None or path.suffix.lower() not in mime:
            return super().image_path(node)
        data = path.read_bytes()
        name = f"figure-{hashlib.sha256(data).hexdigest()[:16]}{path.suffix.lower()}"
        encoded = base64.b64encode(data).decode() if path.suffix != ".svg" else data.decode()
        self.attachments[name] = {mime[path.suffix.lower()]: encoded}
        return f"attachment:{name}"

    # -- pieces
    def heading(self, node: nodes.section, level: int) -> str:
        title = node.next_node(nodes.title)
        text = self.inlines(title).strip() if title is not None else ""
        anchor = "#" + node["ids"][0] if node.get("ids") else ""
        number = self.secnumbers.get(anchor) if level > 1 else self.secnumbers.get("")
        if number and text:
            text = f"{'.'.join(map(str, number))}{'.' if level == 1 else ''} {text}"
        return f"{'#' * min(6, level)} {text}" if text else ""

    def pieces(self, node: nodes.Element, level: int):
        """Yield ``("code", cell_index)`` and ``(source line, markdown)`` in page order."""
        for child in node.children:
            if _is_code_cell(child):
                yield ("code", child["cell_index"])
            elif isinstance(child, nodes.section):
                title = child.next_node(nodes.title)
                heading = self.heading(child, level)
                if heading:
                    yield (_line(title) if title is not None else None, heading)
                yield from self.pieces(child, level + 1)
            elif isinstance(child, nodes.Element) and any(child.findall(_is_code_cell)):
                # A solution with code cells in it (solution-start/-end): its title, then
                # its content cell by cell.
                if type(child).__name__ == "solution_node":
                    target = child.get("target_label", "")
                    number = ".".join(map(str, self.fignumbers.get("exercise", {}).get(target, ())))
                    yield (_line(child), f"**Solution to Exercise {number}**")
                yield from self.pieces(child, level)
            else:
                for text in self.block(child, level):
                    if text.strip():
                        yield (_line(child), text.strip("\n"))


# --- the notebook ------------------------------------------------------------------------


def with_cached_outputs(app: Sphinx, notebook: dict) -> dict:
    """The executed notebook, outputs and execution counts included.

    In cache mode myst-nb 1.x writes the notebook it *read* to ``_build/jupyter_execute``,
    not the executed one it rendered, so the downloadable copy would have no outputs.
    The outputs are in the jupyter-cache: merge them back in.
    """
    if app.config.nb_execution_mode != "cache":
        return notebook
    try:
        import nbformat
        from jupyter_cache import get_cache

        cache = get_cache(app.config.nb_execution_cache_path)
        _, merged = cache.merge_match_into_notebook(nbformat.from_dict(notebook))
    except KeyError:  # not in the cache (the chapter failed to execute)
        return notebook
    return json.loads(nbformat.writes(merged))


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def code_cell(cell: dict) -> dict:
    cell = json.loads(json.dumps(cell))
    tags = cell.get("metadata", {}).get("tags", [])
    source = _source(cell)
    if "remove-cell" in tags or "remove_cell" in tags:
        if not source.startswith(PLUMBING_NOTE):
            source = f"{PLUMBING_NOTE}\n{source}"
        cell["metadata"].setdefault("jupyter", {})["source_hidden"] = True
    elif {"hide-input", "remove-input", "hide-cell"} & set(tags):
        cell["metadata"].setdefault("jupyter", {})["source_hidden"] = True
    cell["source"] = source
    # Glue records are for the build only (their values are in the Markdown now).
    cell["outputs"] = [
        output
        for output in cell.get("outputs", [])
        if not (output.get("data") and all(key.startswith(RECORD_MIME) for key in output["data"]))
    ]
    return cell


def reader_notebook(app: Sphinx, docname: str, doctree: nodes.document, source: str) -> dict | None:
    path = Path(app.outdir, "_sources", source)
    if not path.is_file():
        return None
    notebook = json.loads(path.read_text(encoding="utf-8"))
    if notebook.get("metadata", {}).get("book_reader"):
        return None  # already the reader's notebook (a rebuild that did not rewrite it)
    # Each cell's first source line (the doctree's nodes carry source lines); the merge
    # with the cached outputs drops this metadata, so read it first.
    starts = notebook.get("metadata", {}).get("source_map")
    notebook = with_cached_outputs(app, notebook)
    cells = notebook.get("cells", [])
    if not starts or len(starts) != len(cells):
        starts = [(index + 1) * 10000 for index in range(len(cells))]

    site = book_baseurl()
    renderer = NotebookRenderer(app, docname, posixpath.dirname(f"_sources/{source}"), site)
    markdown_cells = [i for i, cell in enumerate(cells) if cell["cell_type"] == "markdown"]

    def markdown_cell_at(line: int) -> int | None:
        before = [i for i in markdown_cells if starts[i] <= line]
        return before[-1] if before else None

    texts: dict[int, list[str]] = {}
    current = markdown_cells[0] if markdown_cells else None
    for key, value in renderer.pieces(doctree, 1):
        if key == "code":
            following = [i for i in markdown_cells if i > value]
            current = following[0] if following else current
            continue
        if key is not None:
            current = markdown_cell_at(key) if markdown_cell_at(key) is not None else current
        if current is not None:
            texts.setdefault(current, []).append(value)

    out = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "book-setup",
            "metadata": {"book_setup": True},
            "outputs": [],
            "source": setup_cell(site, getattr(app, "env_wheel", None), runtime_pins(Path(app.srcdir))),
        }
    ]
    for index, cell in enumerate(cells):
        if cell.get("metadata", {}).get("book_setup"):
            continue
        if cell["cell_type"] == "code":
            out.append(code_cell(cell))
        elif cell["cell_type"] == "markdown" and texts.get(index):
            text = "\n\n".join(texts[index])
            markdown = {"cell_type": "markdown", "id": cell.get("id", f"md-{index}"), "metadata": {}}
            attachments = {
                name: data for name, data in renderer.attachments.items() if f"attachment:{name}" in text
            }
            if attachments:
                markdown["attachments"] = attachments
            markdown["source"] = text
            out.append(markdown)

    meta = {k: v for k, v in notebook.get("metadata", {}).items() if k not in ("source_map", "jupytext")}
    meta["book_reader"] = {"page": app.builder.get_target_uri(docname), "site": site or None}
    notebook["metadata"] = meta
    notebook["cells"] = out
    notebook.setdefault("nbformat", 4)
    notebook["nbformat_minor"] = max(5, notebook.get("nbformat_minor", 5))
    return notebook


def write_reader_notebook(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    source = context.get("ipynb_source")
    if not source or doctree is None:
        return
    notebook = reader_notebook(app, pagename, doctree, source)
    if notebook is None:
        return
    for cell in notebook["cells"]:  # nbformat stores sources as lists of lines
        cell["source"] = cell["source"].splitlines(keepends=True)
    path = Path(app.outdir, "_sources", source)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def setup(app: Sphinx) -> None:
    # The notebooks are written with the pages: a change to the code that writes them
    # changes this value, which makes Sphinx rewrite every page (without re-reading).
    code = b"".join(Path(__file__).with_name(name).read_bytes() for name in ("notebooks.py", "llms.py"))
    app.add_config_value("book_reader_notebooks", hashlib.sha256(code).hexdigest()[:12], "html", str)
    app.connect("config-inited", configure, priority=900)
    app.connect("builder-inited", publish_wheel)
    app.connect("html-page-context", write_reader_notebook, priority=900)
