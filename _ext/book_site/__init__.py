"""Sphinx extension for the book's site (loaded from _config.yml, ``sphinx.local_extensions``).

It does five things the stock Jupyter Book 1.x does not:

1. **Execution cache keyed on `mini`.** jupyter-cache re-executes a chapter only when its
   own code cells change. The chapters import `mini`, so an edit to `mini` must re-run
   them too. The jupyter-cache folder is named after a hash of `mini`'s files (source
   and any data, not bytecode) and of ``requirements.txt``: ``_build/.jupyter_cache-<hash>``. A new hash is a new,
   empty cache, and because the folder is a Sphinx configuration value that triggers a
   re-read, Sphinx re-reads (and so re-executes) every chapter. Caches of other hashes
   are deleted. A rebuild with nothing changed reads nothing and executes nothing.
2. **llms.txt and llms-full.txt** in the site root (``build-finished``): an index of
   the chapters with one-line summaries, and the whole book as one Markdown file made
   from the resolved doctrees, so every glued figure shows its computed value
   (see ``book_site/llms.py``).
3. **Notebooks that run anywhere.** The downloadable ``.ipynb`` of each chapter (and the
   copy Colab opens) is the reader's notebook, written by ``book_site/notebooks.py``; the
   Colab button points at it instead of the ``.md`` source, which Colab cannot open.
4. **No network at build time, no CDN in the pages.** Intersphinx is switched off
   whatever the configuration says, and sphinx-thebe (live code from a CDN, which the book
   does not use) is unhooked.
5. **The repository is one setting** (``config-inited``): ``BOOK_REPOSITORY_URL`` in the
   environment of the build names the repository the site links to (repository and
   issues buttons, Binder and Colab launch buttons). Unset, the site has none of those
   buttons; the downloadable notebook stays (its first cell installs `mini` from the
   site, see ``book_site/notebooks.py``). See ``apply_repository``.

Parallel execution before the build lives in ``book_site/execute.py`` (``make book``
runs it first): it fills the same keyed cache, so the build itself executes nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

from . import bibstyle, latex, llms, notebooks

LOGGER = logging.getLogger(__name__)
CACHE_PREFIX = ".jupyter_cache-"


def mini_source_hash(srcdir: Path) -> str:
    """A short hash of everything a chapter's output depends on besides its own cells."""
    digest = hashlib.sha256()
    files = sorted(
        path
        for path in (srcdir / "mini").rglob("*")
        if "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo")
    ) + [srcdir / "requirements.txt", srcdir / "pyproject.toml"]
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(srcdir).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()[:12]


def cache_path(build_dir: Path, srcdir: Path) -> Path:
    """The jupyter-cache folder for the current `mini` (shared with ``execute.py``)."""
    return build_dir / f"{CACHE_PREFIX}{mini_source_hash(srcdir)}"


def key_cache_on_mini(app: Sphinx, config: Config) -> None:
    if config.nb_execution_mode != "cache":
        return
    build_dir = Path(app.outdir).parent
    cache = cache_path(build_dir, Path(app.srcdir))
    config.nb_execution_cache_path = str(cache)
    if build_dir.is_dir():
        for stale in build_dir.glob(f"{CACHE_PREFIX}*"):
            if stale != cache and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
    LOGGER.info(f"[book_site] execution cache keyed on mini: {cache.name}")


def no_network(app: Sphinx, config: Config) -> None:
    config.intersphinx_mapping = {}
    config.intersphinx_disabled_reftypes = ["*"]


def drop_thebe(app: Sphinx) -> None:
    """Unhook sphinx-thebe, which Jupyter Book always loads.

    The book does not use live code (``launch_buttons.thebe: false``), yet sphinx-thebe
    writes a script naming its CDN into every page, twice on some rebuilds, which is a
    console error ("THEBE_JS_URL has already been declared").
    """
    unwanted = {"init_thebe_core", "update_thebe_context"}  # its stylesheet stays, locally
    for listeners in app.events.listeners.values():
        listeners[:] = [
            listener
            for listener in listeners
            if not (
                getattr(listener.handler, "__module__", "") == "sphinx_thebe"
                and listener.handler.__name__ in unwanted
            )
        ]


# --- the repository: one setting, read from the environment at build time -----------

REPOSITORY_ENV = "BOOK_REPOSITORY_URL"
# The theme's buttons that lead to the repository: on with a URL, off without one.
REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button")
LAUNCH_PROVIDERS = (
    "binderhub_url",
    "jupyterhub_url",
    "colab_url",
    "deepnote_url",
    "jupyterlite_url",
    "thebe",
)


def apply_repository(app: Sphinx, config: Config) -> None:
    """Point the site at ``$BOOK_REPOSITORY_URL``, or show no button that needs a repository.

    ``_config.yml`` carries no repository URL, so that a placeholder can never be
    published (jupyter-book refuses the repository buttons without one, so they are off
    there). With the variable set (e.g. ``https://github.com/org/repo``), this switches
    on the repository and issues buttons and the launch buttons use it; unset or empty,
    those buttons stay off and the launch providers are dropped (the downloadable
    notebook stays, see ``notebook_download``). The edit button is left as configured.
    """
    options = dict(config.html_theme_options or {})
    url = os.environ.get(REPOSITORY_ENV, "").strip().rstrip("/").removesuffix(".git")
    for key in REPOSITORY_BUTTONS:
        options[key] = bool(url)
    if url:
        options["repository_url"] = url
    else:
        options.pop("repository_url", None)
        options["use_edit_page_button"] = False
        launch = dict(options.get("launch_buttons") or {})
        for key in LAUNCH_PROVIDERS:
            launch.pop(key, None)
        options["launch_buttons"] = launch
    config.html_theme_options = options
    LOGGER.info(f"[book_site] repository: {url or f'none (set {REPOSITORY_ENV} to link one)'}")


def _repository(app: Sphinx) -> tuple[str, str]:
    options = app.config.html_theme_options
    return options.get("repository_url", "").rstrip("/"), options.get("repository_branch", "main")


# --- notebooks that run outside the repository --------------------------------------


def notebook_download(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Offer the chapter's notebook for download whether or not launch buttons exist.

    sphinx-book-theme copies the executed notebook into ``_sources/`` (and so offers the
    ``.ipynb`` download) only while it adds launch buttons, which need a repository. Do
    the same copy here, before the theme builds its download menu (priority < 501).
    """
    if pagename not in app.env.metadata or "kernelspec" not in app.env.metadata[pagename]:
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = Path(app.outdir, "_sources", f"{pagename}.ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def portable_notebooks(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Point Colab at the published .ipynb (the reader's notebook, see notebooks.py)."""
    source = context.get("ipynb_source")
    if not source:
        return
    repo_url, _ = _repository(app)

    branch = app.config.book_colab_branch
    if not (branch and repo_url.startswith("https://github.com/")):
        return
    org_repo = repo_url.removeprefix("https://github.com/")
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if isinstance(group, dict) else []:
            if button.get("text") == "Colab":
                button["url"] = (
                    f"{app.config.html_theme_options['launch_buttons']['colab_url'].rstrip('/')}"
                    f"/github/{org_repo}/blob/{branch}/_sources/{source}"
                )


def citation_list_without_list_role(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree
) -> None:
    """Docutils marks the bibliography's block ``role="list"`` but its entries are
    ``doc-biblioentry``, not list items: a screen reader is promised a list it cannot
    walk (axe-core: aria-required-children). The entries keep their own roles."""
    body = context.get("body")
    if body and 'role="list" class="citation-list"' in body:
        context["body"] = body.replace(
            '<div role="list" class="citation-list">', '<div class="citation-list">'
        )


def static_files_changed(app: Sphinx, env, added, changed, removed) -> list[str]:
    """Rewrite one page when a file of ``html_static_path`` differs from its copy.

    Sphinx copies static files only at the end of a build that writes a page; with no
    document out of date it stops early, and an edited ``book.css`` would never reach
    the site. Marking the root page outdated lets the build finish and copy it."""
    if getattr(app.builder, "format", "") != "html":
        return []
    copies = Path(app.outdir) / "_static"
    project = Path(app.confdir).resolve()
    for folder in app.config.html_static_path:
        # The book's own folders only (as _config.yml names them, relative): extensions
        # add theirs as absolute paths, with templates (*_t) copied under other names.
        source = (project / folder).resolve()
        if Path(folder).is_absolute() or not source.is_dir() or project not in source.parents:
            continue
        for path in source.rglob("*"):
            copy = copies / path.relative_to(source)
            # Contents, not times: Sphinx keeps an identical copy's old time.
            if path.is_file() and (not copy.is_file() or copy.read_bytes() != path.read_bytes()):
                return [app.config.root_doc]
    return []


def bibliography_changed(app: Sphinx, env, added, changed, removed) -> list[str]:
    """Re-read the pages that cite when the bibliography changes.

    sphinxcontrib-bibtex reads an edited references.bib again, but a page whose source is
    unchanged keeps the old entry in its citations' tooltips until something else
    rewrites it. The bibliography's contents are kept in the environment; when they
    differ (or were never kept: a first build, which reads every page anyway), every
    page whose source has a ``{cite`` role is read again."""
    bibfiles = getattr(app.config, "bibtex_bibfiles", [])  # none without sphinxcontrib-bibtex
    if not bibfiles:
        return []
    contents = b"".join(Path(app.confdir, name).read_bytes() for name in bibfiles)
    digest = hashlib.sha256(contents).hexdigest()
    before, env.book_bibliography = getattr(env, "book_bibliography", None), digest
    if before == digest:
        return []
    return [
        name
        for name in env.found_docs
        if "{cite" in Path(env.doc2path(name)).read_text(encoding="utf-8", errors="replace")
    ]


def setup(app: Sphinx) -> dict:
    # The branch the built site is published to (ghp-import's default, gh-pages): it holds
    # _sources/<chapter>.ipynb, which is what the Colab button opens.
    app.add_config_value("book_colab_branch", "gh-pages", "html", str)
    app.connect("config-inited", key_cache_on_mini, priority=900)
    app.connect("config-inited", no_network, priority=900)
    app.connect("config-inited", apply_repository, priority=900)
    app.connect("env-get-outdated", static_files_changed)
    app.connect("env-get-outdated", bibliography_changed)
    drop_thebe(app)
    bibstyle.register()  # round-bracket author-year citations, volumes without pages
    app.connect("html-page-context", notebook_download, priority=450)
    app.connect("html-page-context", portable_notebooks, priority=900)
    app.connect("html-page-context", citation_list_without_list_role)
    app.connect("html-page-context", llms.note_page_written)
    app.connect("build-finished", llms.write_llms_files)
    notebooks.setup(app)  # the reader's notebooks and the wheel of mini they install
    latex.setup(app)  # the PDF edition: tables, no publishing code (book_site/latex.py)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
