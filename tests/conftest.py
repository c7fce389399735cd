"""Fixtures shared by the tests of `mini` (helper functions live in support.py).

Hypothesis profiles: ``ci`` (the default) derandomises every property test, so a run
that passes once passes every time; ``explore`` draws fresh random examples, many more
of them, to look for new failures (``make hypothesis-explore``). Choose one with the
environment variable ``HYPOTHESIS_PROFILE``. The profile is loaded here, before any
test module is imported, so the ``settings(...)`` objects the test modules build
inherit it: they set only ``deadline``, never ``derandomize`` or ``max_examples``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from mini.minimodel import MiniModel, load_minimodel

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=30, database=None)
settings.register_profile("explore", derandomize=False, deadline=None, max_examples=300, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def mm() -> MiniModel:
    return load_minimodel()
