"""The browser suite's harness, without a browser: which Chromium it starts, and the
server that shows it the site."""

from __future__ import annotations

import functools
import http.client
import socketserver
import stat
import threading

import pytest

from .conftest import _QuietHandler, _SiteServer, chromium_path


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


def test_the_site_server_keeps_connections_alive(tmp_path):
    # one connection serves several requests, so a page costs a few ephemeral ports, not
    # one per file
    (tmp_path / "a.html").write_text("<p>a</p>")
    (tmp_path / "b.css").write_text("p {}")
    server = _SiteServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        connection = http.client.HTTPConnection(*server.server_address, timeout=5)
        bodies, sockets = [], []
        for name in ("a.html", "b.css", "a.html"):
            connection.request("GET", f"/{name}")
            response = connection.getresponse()
            assert response.status == 200 and response.version == 11
            bodies.append(response.read())
            sockets.append(connection.sock)
        assert bodies == [b"<p>a</p>", b"p {}", b"<p>a</p>"]
        assert all(sock is sockets[0] for sock in sockets)  # no request needed a new connection
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
