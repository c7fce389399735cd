"""Input checks shared by every module.

Each check raises ``ValueError`` with a message that names the offending input, so a
mistake surfaces where it was made instead of as a silently wrong number later on.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

SUM_TOLERANCE = 1e-8


def finite_array(values: object, name: str, ndim: int | None = None) -> np.ndarray:
    """Return ``values`` as a float array, rejecting NaN, infinities and wrong rank."""
    array = np.asarray(values, dtype=float)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s)")
    return array


def finite_series(series: pd.Series, name: str) -> pd.Series:
    """Check a labelled vector: a Series with unique labels and finite values."""
    if not isinstance(series, pd.Series):
        raise ValueError(f"{name} must be a pandas Series, got {type(series).__name__}")
    if not series.index.is_unique:
        raise ValueError(f"{name} has duplicate labels: {sorted(series.index[series.index.duplicated()])}")
    finite_array(series.to_numpy(), name)
    return series.astype(float)


def finite_frame(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Check a labelled matrix: a DataFrame with unique labels and finite values."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    for axis, labels in (("row", frame.index), ("column", frame.columns)):
        if not labels.is_unique:
            raise ValueError(f"{name} has duplicate {axis} labels: {sorted(labels[labels.duplicated()])}")
    finite_array(frame.to_numpy(), name)
    return frame.astype(float)


def same_labels(expected: pd.Index, actual: pd.Index, what: str, name: str) -> None:
    """Require ``actual`` to carry exactly the labels of ``expected`` (any order)."""
    missing = [label for label in expected if label not in actual]
    extra = [label for label in actual if label not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {what} {missing}")
        if extra:
            parts.append(f"unknown {what} {extra}")
        raise ValueError(f"{name} does not match the model's {what}: " + "; ".join(parts))


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


def positive_definite(matrix: np.ndarray, name: str) -> None:
    """Require a symmetric positive definite matrix (a Cholesky factor exists)."""
    symmetric(matrix, name)
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        smallest = float(np.linalg.eigvalsh(matrix)[0])
        raise ValueError(f"{name} is not positive definite (smallest eigenvalue {smallest:.3g})") from None


def frozen(data: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """A copy whose values cannot be changed in place, so shared data stays as published."""
    values = np.array(data.to_numpy(), copy=True)
    values.flags.writeable = False
    if isinstance(data, pd.DataFrame):
        return pd.DataFrame(values, index=data.index.copy(), columns=data.columns.copy())
    return pd.Series(values, index=data.index.copy(), name=data.name)
