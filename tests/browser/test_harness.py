"""The browser suite's harness, without a browser: which Chromium it starts, and the
server that shows it the site."""

from __future__ import annotations

import socketserver
import stat

import pytest

from .conftest import _SiteServer, chromium_path


def _executable(folder, name):
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_the_headless_shell_is_preferred_then_chromium_then_the_named_binary(tmp_path, monkeypatch):
    monkeypatch.delenv("CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    full = _executable(tmp_path, "chromium")
    assert chromium_path() == str(full)
    shell = _executable(tmp_path, "chromium-headless-shell")
    assert chromium_path() == str(shell)
    named = _executable(tmp_path, "my-chrome")
    monkeypatch.setenv("CHROMIUM", str(named))
    assert chromium_path() == str(named)
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "missing"))
    assert chromium_path() is None


@pytest.mark.parametrize(
    "error, reported", [(BrokenPipeError, False), (ConnectionResetError, False), (KeyError, True)]
)
def test_the_site_server_is_quiet_only_when_the_browser_hangs_up(error, reported, capfd):
    # what socketserver does when a request's handler raises: handle_error, inside the except
    server = _SiteServer(("127.0.0.1", 0), socketserver.BaseRequestHandler)
    try:
        raise error("planted")
    except error:
        server.handle_error(None, ("127.0.0.1", 1))
    finally:
        server.server_close()
    assert ("planted" in capfd.readouterr().err) is reported
