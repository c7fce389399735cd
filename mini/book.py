"""Publishing helpers for the chapters: glue computed figures into prose, pin them.

Chapters quote numbers through myst-nb's ``glue``; these helpers keep that plumbing to
one line per group of figures. Values are glued as plain Python floats (NumPy scalars
do not format under ``{glue:text}``) with negative zero turned into zero, so a product
such as 0 × −1.3% never prints as "-0.00%".
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def _plain(value: object) -> object:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not np.isfinite(number):
            raise ValueError(f"cannot publish a non-finite figure ({number})")
        return number + 0.0  # -0.0 + 0.0 is 0.0
    return value


def publish(key: str, value: object) -> None:
    """Glue one figure (a number, a string or a matplotlib figure) under ``key``."""
    from myst_nb import glue

    glue(key, _plain(value), display=False)


def publish_all(values: Mapping[str, object] | pd.Series, prefix: str = "") -> None:
    """Glue every entry of a mapping or Series as ``prefix + label``."""
    for label, value in values.items():
        publish(f"{prefix}{label}", value)


def pinned(value: float, expected: str, spec: str) -> None:
    """Require ``value`` formatted with ``spec`` to read exactly ``expected``.

    This is how a chapter pins a headline figure to the reference output: the check
    compares what a reader would see, at the precision the reference prints.
    """
    shown = format(_plain(value), spec)
    if shown != expected:
        raise AssertionError(f"published figure changed: shows {shown}, reference says {expected}")


def snap_to_zero(
    values: float | pd.Series | pd.DataFrame, tol: float = 1e-12
) -> float | pd.Series | pd.DataFrame:
    """Replace rounding noise (|v| < ``tol``) by an exact zero before publishing.

    Figures that are zero in exact arithmetic (the benchmark's style exposures, an
    active market exposure) come out of floating point as ±1e-17 and would print as
    "-0.00". Snapping them keeps the printed tables honest.
    """
    if isinstance(values, (pd.Series, pd.DataFrame)):
        return values.mask(values.abs() < tol, 0.0) + 0.0
    number = float(values)
    return 0.0 if abs(number) < tol else number
