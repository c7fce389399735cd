"""Which Chromium the browser suite starts (no browser needed: only the choice)."""

from __future__ import annotations

import stat

from .conftest import chromium_path


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
