"""Fixtures shared by the tests of `mini` (helper functions live in support.py)."""

from __future__ import annotations

import pytest

from mini.minimodel import MiniModel, load_minimodel


@pytest.fixture(scope="session")
def mm() -> MiniModel:
    return load_minimodel()
