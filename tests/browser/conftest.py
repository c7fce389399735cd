"""Fixtures for the browser suite: the built site on localhost, and headless Chromium.

The suite tests the site the way a reader sees it: `_build/html` served over HTTP on an
ephemeral localhost port, opened in Debian's Chromium driven by Playwright for Python
(``executable_path``; Playwright never downloads a browser here). Every request that
leaves localhost is blocked and recorded, so a page that needs the network fails.

The browser is Debian's ``chromium-headless-shell`` where it is installed: the same
Blink engine and version as ``chromium``, built only to run headless (it is also what
Playwright itself runs for headless Chromium). The full browser in headless mode still
starts a renderer for its own window furniture with every page; on two cores the shell
took ``make test`` from 107 s to 87 s (busy CPU 198 s to 158 s). Otherwise ``chromium``;
``CHROMIUM`` names any other binary.

Without Chromium or Playwright the tests skip with a one-line reason, except under CI
(``CI`` set), where a missing browser is a failure: `.ci/run` installs it.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import shutil
import sys
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def toc_pages() -> list[str]:
    """The book's pages in reading order, as paths relative to the site root."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [chapter["file"] for chapter in part.get("chapters", [])]
    pages += [chapter["file"] for chapter in toc.get("chapters", [])]
    return [page.removesuffix(".md") + ".html" for page in pages]


def chromium_path() -> str | None:
    candidate = (
        os.environ.get("CHROMIUM")
        or shutil.which("chromium-headless-shell")
        or shutil.which("chromium")
        or "/usr/bin/chromium"
    )
    return candidate if candidate and Path(candidate).is_file() else None


def browser_unavailable() -> str | None:
    """Why the browser suite cannot run here, or None if it can."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright for Python is not installed (pip install playwright)"
    if chromium_path() is None:
        return "Chromium not found (apt-get install chromium-headless-shell, or set CHROMIUM)"
    return None


def skip_or_fail(reason: str, module: bool = False) -> None:
    """Skip with a one-line reason; under CI (``CI`` set) fail instead."""
    if os.environ.get("CI"):
        pytest.fail(
            f"the browser suite cannot run under CI: {reason}; .ci/run installs Chromium", pytrace=False
        )
    pytest.skip(f"browser tests skipped: {reason}", allow_module_level=module)


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(
            f"The site is not built ({SITE} is missing): run `make book` first "
            "(`make test` builds it before testing).",
            pytrace=False,
        )
    return SITE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    # Keep-alive, as a real web server does: with HTTP/1.0 every request of every page
    # took a new connection, and so a new ephemeral port. Thousands of them a minute can
    # take a port that jupyter_client has just picked for an nbval kernel on the other
    # worker, before the kernel binds it ("Kernel died before replying to kernel_info").
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


class _SiteServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        # A page closed (or left by a click on "next") while its images still load hangs
        # up on the server; that is the browser's choice, not a fault worth a traceback.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def base_url(site: Path):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = _SiteServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    reason = browser_unavailable()
    if reason:
        skip_or_fail(reason)
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path | None:
    """Where every page's screenshots go, or None: only with ``BOOK_SCREENSHOTS=1``
    (`make screenshots`). A failing page is photographed anyway (see below)."""
    if os.environ.get("BOOK_SCREENSHOTS", "") not in ("", "0"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return None


@pytest.fixture(scope="session")
def reader(browser, base_url, screenshots):
    from .reader import Reader

    return Reader(browser, base_url, screenshots)


# A page whose check fails is photographed (light, full page, and dark) into
# _build/screenshots/failed/, once per page, so the failure can be seen without
# re-running the suite with screenshots on.
_photographed: set[str] = set()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    reader = getattr(item, "funcargs", {}).get("reader")
    path = getattr(getattr(item, "callspec", None), "params", {}).get("path")
    if reader is None or path is None or path in _photographed:
        return
    _photographed.add(path)
    try:
        reader.screenshot(path, SCREENSHOTS / "failed")
    except Exception as error:  # a screenshot must never hide the failure itself
        report.sections.append(("screenshot", f"no screenshot of {path}: {error}"))
    else:
        report.sections.append(("screenshot", f"saved in {SCREENSHOTS / 'failed'}"))


# Under pytest-xdist (`make test`), each worker process has its own localhost server and
# browser (the session fixtures above are per worker), and all the checks of one page run
# on the same worker, so the page is visited once (tests/conftest.py, xdist_scope).
