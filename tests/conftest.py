"""Shared fixtures and helpers for the tests of `mini`."""

from __future__ import annotations

import numpy as np
import pytest

from mini.minimodel import MiniModel, load_minimodel


@pytest.fixture(scope="session")
def mm() -> MiniModel:
    return load_minimodel()


def printed(actual: float, expected: float, decimals: int) -> None:
    """Assert ``actual`` shows as ``expected`` when printed with ``decimals`` places."""
    tolerance = 0.5 * 10.0**-decimals + 1e-12
    assert abs(actual - expected) <= tolerance, f"{actual!r} does not print as {expected} at {decimals} dp"


def printed_all(actual, expected, decimals: int) -> None:
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape
    for a, e in zip(actual.ravel(), expected.ravel()):
        printed(a, e, decimals)
