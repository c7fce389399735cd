"""Fixtures shared by the tests of `mini` (helper functions live in support.py)."""

from __future__ import annotations

import pytest

from mini.minimodel import MiniModel, load_minimodel


@pytest.fixture(scope="session")
def mm() -> MiniModel:
    return load_minimodel()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Keep each notebook's nbval cells together under pytest-xdist (`--dist loadgroup`).

    nbval runs a notebook's cells in order in one kernel, so they must all go to one
    worker; the xdist group does that (``tryfirst``: before xdist reads the groups).
    """
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.xdist_group(name=f"nbval:{item.path.name}"))
