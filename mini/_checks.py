"""Input checks shared by every module.

Each check raises ``ValueError`` with a message that names the offending input, so a
mistake surfaces where it was made instead of as a silently wrong number later on. An
input of the wrong type (a list where a Series is needed, a string for a number)
raises :class:`InputTypeError`, which is both a ``TypeError`` and a ``ValueError``.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np
import pandas as pd

SUM_TOLERANCE = 1e-8
# A regression's normal matrix A'WA counts as singular when its smallest eigenvalue is at
# most this fraction of its largest (the weighted design's condition number exceeds 1e6):
# beyond that, noise of 1e-8 in an exposure can move factor returns by orders of magnitude.
SINGULAR_RATIO = 1e-12


class InputTypeError(TypeError, ValueError):
    """An input of the wrong type. Also a ``ValueError``, the error `mini` raises for any
    bad input, so code that catches ``ValueError`` catches this too."""


def of_type(value: object, kind: type | tuple[type, ...], name: str, described: str) -> None:
    """Require ``isinstance(value, kind)``; ``described`` names the kind in the message."""
    if not isinstance(value, kind):
        raise InputTypeError(f"{name} must be {described}, got {type(value).__name__}")


def number(value: object, name: str, described: str = "a finite number") -> float:
    """Return a real, finite scalar as a float; NaN, infinities, strings and bools are
    rejected with the message "``name`` must be ``described``"."""
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputTypeError(f"{name} must be {described}, got {type(value).__name__}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be {described}, got {value}")
    return float(value)


def positive(value: object, name: str, described: str = "positive") -> float:
    """Return a real, finite, strictly positive scalar as a float."""
    value = number(value, name, described)
    if value <= 0:
        raise ValueError(f"{name} must be {described}, got {value:g}")
    return value


def whole(value: object, name: str, minimum: int, described: str | None = None) -> int:
    """Return an integer of at least ``minimum`` (floats, NaN and bools rejected)."""
    described = described or f"a whole number of at least {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"{name} must be {described}, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be {described}, got {value}")
    return int(value)


def unique(labels: pd.Index, name: str, axis: str = "") -> None:
    """Require labels without repeats (``axis`` says which, e.g. "row", in the message)."""
    if not labels.is_unique:
        repeated = sorted(labels[labels.duplicated()])
        raise ValueError(f"{name} has duplicate {axis + ' ' if axis else ''}labels: {repeated}")


def label_index(labels: Iterable[object], name: str, length: int, what: str) -> pd.Index:
    """``labels`` as a pandas Index of ``length`` distinct labels, one per ``what``."""
    of_type(labels, Iterable, name, "a sequence of labels")
    index = labels if isinstance(labels, pd.Index) else pd.Index(list(labels))
    if len(index) != length:
        raise ValueError(f"{len(index)} {name} for {length} {what}")
    unique(index, name)
    return index


def finite_array(values: object, name: str, ndim: int | None = None) -> np.ndarray:
    """Return ``values`` as a float array, rejecting NaN, infinities and wrong rank."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputTypeError(f"{name} must be numeric, got {type(values).__name__}") from None
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s)")
    return array


def finite_series(series: pd.Series, name: str) -> pd.Series:
    """Check a labelled vector: a Series with unique labels and finite values."""
    of_type(series, pd.Series, name, "a pandas Series")
    unique(series.index, name)
    finite_array(series.to_numpy(), name)
    return series.astype(float)


def finite_frame(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Check a labelled matrix: a DataFrame with unique labels and finite values."""
    of_type(frame, pd.DataFrame, name, "a pandas DataFrame")
    unique(frame.index, name, "row")
    unique(frame.columns, name, "column")
    finite_array(frame.to_numpy(), name)
    return frame.astype(float)


def same_labels(expected: pd.Index, actual: pd.Index, what: str, name: str) -> None:
    """Require ``actual`` to carry exactly the labels of ``expected`` (any order)."""
    if isinstance(expected, pd.Index) and isinstance(actual, pd.Index) and expected.equals(actual):
        return  # the common case, decided without a look-up per label
    missing = [label for label in expected if label not in actual]
    extra = [label for label in actual if label not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {what} {missing}")
        if extra:
            parts.append(f"unknown {what} {extra}")
        raise ValueError(f"{name} does not match the model's {what}: " + "; ".join(parts))


def aligned(
    data: pd.Series | pd.DataFrame, labels: pd.Index, what: str, name: str, axis: int = 0
) -> pd.Series | pd.DataFrame:
    """``data`` reordered to ``labels`` along ``axis``, which must carry exactly those labels."""
    current = data.axes[axis]
    if current.equals(labels):
        return data
    same_labels(labels, current, what, name)
    return data.reindex(labels, axis=axis).rename_axis(current.name, axis=axis)


def oldest_first(data: pd.Series | pd.DataFrame, name: str) -> None:
    """Require rows in time order where the index is a time index (dates or period
    numbers); labels such as "month 1" carry no order that could be checked."""
    index = data.index
    timed = isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)) or pd.api.types.is_numeric_dtype(index)
    if timed and not index.is_monotonic_increasing:
        first = int(np.argmax(~(index[1:] > index[:-1])))
        raise ValueError(f"{name} must run oldest first, but {index[first + 1]} comes after {index[first]}")


def known_labels(requested: Iterable[str], available: pd.Index, what: str) -> list[str]:
    """Return ``requested`` as a list, raising if any label is not in ``available``."""
    requested = list(requested)
    unknown = [label for label in requested if label not in available]
    if unknown:
        raise ValueError(f"unknown {what} {unknown}; known {what}s are {list(available)}")
    return requested


def sums_to(weights: pd.Series | np.ndarray, target: float, name: str) -> None:
    """Require weights to sum to ``target`` (1 for a portfolio, 0 for active weights)."""
    total = float(np.sum(weights))
    if abs(total - target) > SUM_TOLERANCE:
        raise ValueError(f"{name} must sum to {target:g}, but they sum to {total:.10g}")


def symmetric(matrix: np.ndarray, name: str, tol: float = 1e-10) -> None:
    """Require a square, symmetric matrix."""
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be square, got shape {matrix.shape}")
    scale = max(1.0, float(np.max(np.abs(matrix))))
    if not np.allclose(matrix, matrix.T, rtol=0.0, atol=tol * scale):
        raise ValueError(f"{name} is not symmetric")


def positive_variances(covariance: pd.DataFrame, name: str) -> None:
    """Require every variance on the diagonal of a labelled covariance to be positive."""
    variances = np.diag(covariance.to_numpy())
    if np.any(variances <= 0):
        bad = list(covariance.index[variances <= 0])
        raise ValueError(f"{name} has a non-positive variance on its diagonal, for {bad}")


def singular(normal: np.ndarray) -> np.ndarray:
    """Which of a stack of (..., p, p) symmetric normal matrices A'WA are singular: the one
    rule for every regression (see ``SINGULAR_RATIO``)."""
    values = np.linalg.eigvalsh(normal)
    return ~(values[..., 0] > values[..., -1] * SINGULAR_RATIO)


def _rounding(matrix: np.ndarray) -> float:
    """What rounding can make of zero in a covariance matrix: n·ε times its largest
    variance (the largest absolute entry on the diagonal)."""
    return len(matrix) * np.finfo(float).eps * float(np.max(np.abs(np.diag(matrix))))


def positive_definite(matrix: np.ndarray, name: str) -> None:
    """Require a symmetric positive definite matrix: a Cholesky factor exists and none of
    its pivots (the squared diagonal of the factor) is lost in rounding (``_rounding``)."""
    symmetric(matrix, name)
    try:
        pivots = np.diag(np.linalg.cholesky(matrix)) ** 2
    except np.linalg.LinAlgError:
        pivots = None
    # A singular matrix can still factor: rounding may leave its zero pivot a hair above
    # zero (LAPACK builds differ), and the solve that follows then fails or returns noise.
    if pivots is None or pivots.min() <= _rounding(matrix):
        smallest = float(np.linalg.eigvalsh(matrix)[0])
        raise ValueError(f"{name} is not positive definite (smallest eigenvalue {smallest:.3g})")


def positive_semidefinite(matrix: np.ndarray, name: str) -> None:
    """Require a symmetric matrix with no negative eigenvalue beyond rounding
    (``_rounding``). Zero eigenvalues are allowed: a factor covariance may leave a
    combination of factors riskless (chapter 9's industry conventions do), and
    Σ = XFXᵀ + Δ is still positive definite when Δ is."""
    symmetric(matrix, name)
    smallest = float(np.linalg.eigvalsh(matrix)[0])
    if smallest < -_rounding(matrix):
        raise ValueError(f"{name} is not positive semi-definite (smallest eigenvalue {smallest:.3g})")


def frozen(data: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """A copy whose values cannot be changed in place, so shared data stays as published."""
    values = np.array(data.to_numpy(), copy=True)
    values.flags.writeable = False
    if isinstance(data, pd.DataFrame):
        return pd.DataFrame(values, index=data.index.copy(), columns=data.columns.copy())
    return pd.Series(values, index=data.index.copy(), name=data.name)
