"""The shared input checks: exact messages (they name the offending input) and boundary values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini import _checks
from mini._checks import InputTypeError

# ---------------------------------------------------------------- scalars


def test_input_type_error_is_both_a_type_and_a_value_error():
    assert issubclass(InputTypeError, TypeError) and issubclass(InputTypeError, ValueError)
    with pytest.raises(InputTypeError, match=r"^x must be a list, got int$"):
        _checks.of_type(1, list, "x", "a list")
    _checks.of_type([1], list, "x", "a list")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2.5, 2.5), (3, 3.0), (np.float64(-1.5), -1.5), (np.array(2.5), 2.5), (np.array(4), 4.0)],
)
def test_number_accepts_real_scalars_as_floats(value, expected):
    got = _checks.number(value, "x")
    assert got == expected and type(got) is float


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (True, InputTypeError, r"^x must be a finite number, got bool$"),
        ("1", InputTypeError, r"^x must be a finite number, got str$"),
        (np.array([1.0]), InputTypeError, r"^x must be a finite number, got ndarray$"),
        (np.array(True), InputTypeError, r"^x must be a finite number, got ndarray$"),
        (float("nan"), ValueError, r"^x must be a finite number, got nan$"),
        (float("-inf"), ValueError, r"^x must be a finite number, got -inf$"),
    ],
)
def test_number_rejects_non_numbers_by_name(value, error, message):
    with pytest.raises(error, match=message):
        _checks.number(value, "x")


def test_positive_at_zero_and_just_above():
    assert _checks.positive(1e-300, "x") == 1e-300
    with pytest.raises(ValueError, match=r"^x must be positive, got 0$"):
        _checks.positive(0, "x")
    with pytest.raises(ValueError, match=r"^x must be a positive vol, got -1.5$"):
        _checks.positive(-1.5, "x", "a positive vol")
    with pytest.raises(InputTypeError, match=r"^x must be positive, got str$"):
        _checks.positive("1", "x")


def test_whole_at_its_minimum_and_below():
    assert _checks.whole(2, "n", 2) == 2
    got = _checks.whole(np.int64(3), "n", 2)
    assert got == 3 and type(got) is int
    with pytest.raises(ValueError, match=r"^n must be a whole number of at least 2, got 1$"):
        _checks.whole(1, "n", 2)
    with pytest.raises(InputTypeError, match=r"^n must be a whole number of at least 2, got float 2.0$"):
        _checks.whole(2.0, "n", 2)
    with pytest.raises(InputTypeError, match=r"^n must be a count, got bool True$"):
        _checks.whole(True, "n", 0, "a count")


# ---------------------------------------------------------------- labels


def test_unique_names_the_repeated_labels_sorted():
    _checks.unique(pd.Index(["a", "b"]), "x")
    with pytest.raises(ValueError, match=r"^x has duplicate labels: \['a', 'b'\]$"):
        _checks.unique(pd.Index(["b", "a", "b", "a"]), "x")
    with pytest.raises(ValueError, match=r"^x has duplicate row labels: \['a'\]$"):
        _checks.unique(pd.Index(["a", "a"]), "x", "row")


def test_label_index():
    index = pd.Index(["a", "b"])
    assert _checks.label_index(index, "names", 2, "factors") is index
    assert _checks.label_index(("a", "b"), "names", 2, "factors").equals(index)
    with pytest.raises(InputTypeError, match=r"^names must be a sequence of labels, got int$"):
        _checks.label_index(5, "names", 1, "factors")
    with pytest.raises(ValueError, match=r"^2 names for 3 factors$"):
        _checks.label_index(["a", "b"], "names", 3, "factors")
    with pytest.raises(ValueError, match=r"^names has duplicate labels: \['a'\]$"):
        _checks.label_index(["a", "a"], "names", 2, "factors")


def test_same_labels_in_any_order_and_its_message():
    _checks.same_labels(pd.Index(["a", "b"]), pd.Index(["b", "a"]), "stocks", "w")
    _checks.same_labels(["a", "b"], ["b", "a"], "stocks", "w")
    with pytest.raises(
        ValueError,
        match=r"^w does not match the model's stocks: missing stocks \['c'\]; unknown stocks \['d'\]$",
    ):
        _checks.same_labels(pd.Index(["a", "c"]), pd.Index(["a", "d"]), "stocks", "w")
    with pytest.raises(ValueError, match=r"^w does not match the model's stocks: unknown stocks \['d'\]$"):
        _checks.same_labels(["a"], ["a", "d"], "stocks", "w")


def test_aligned_reorders_and_keeps_the_axis_name():
    series = pd.Series([1.0, 2.0], index=pd.Index(["b", "a"], name="stock"))
    out = _checks.aligned(series, pd.Index(["a", "b"]), "stocks", "w")
    assert out.tolist() == [2.0, 1.0] and out.index.name == "stock"
    assert _checks.aligned(series, series.index, "stocks", "w") is series
    frame = pd.DataFrame([[1.0, 2.0]], columns=pd.Index(["b", "a"], name="factor"))
    columns = _checks.aligned(frame, pd.Index(["a", "b"]), "factors", "f", axis=1)
    assert columns.columns.tolist() == ["a", "b"] and columns.columns.name == "factor"
    assert columns.iloc[0].tolist() == [2.0, 1.0]
    with pytest.raises(ValueError, match=r"^w does not match the model's stocks: missing stocks \['c'\]"):
        _checks.aligned(series, pd.Index(["a", "b", "c"]), "stocks", "w")


def test_known_labels_returns_a_list_or_names_the_unknown():
    assert _checks.known_labels(("B",), pd.Index(["A", "B"]), "factor") == ["B"]
    with pytest.raises(ValueError, match=r"^unknown factor \['Z'\]; known factors are \['A', 'B'\]$"):
        _checks.known_labels(["A", "Z"], pd.Index(["A", "B"]), "factor")


@pytest.mark.parametrize(
    ("index", "message"),
    [
        ([1, 2, 3, 2, 1], r"^r must run oldest first, but 2 comes after 3$"),
        (
            pd.to_datetime(["2020-01-02", "2020-01-01"]),
            r"^r must run oldest first, but 2020-01-01 00:00:00 comes",
        ),
        (
            pd.period_range("2020-01", periods=2, freq="M")[::-1],
            r"^r must run oldest first, but 2020-01 comes after",
        ),
    ],
)
def test_oldest_first_names_the_first_step_back(index, message):
    with pytest.raises(ValueError, match=message):
        _checks.oldest_first(pd.Series(0.0, index=index), "r")


def test_oldest_first_accepts_ties_and_unordered_labels():
    _checks.oldest_first(pd.Series(0.0, index=[1, 1, 2]), "r")
    _checks.oldest_first(pd.DataFrame({"a": [0.0, 0.0]}, index=["month 2", "month 1"]), "r")


# ---------------------------------------------------------------- arrays and frames


def test_finite_array():
    array = _checks.finite_array([[1, 2]], "x", ndim=2)
    assert array.dtype == float and array.shape == (1, 2)
    with pytest.raises(InputTypeError, match=r"^x must be numeric, got str$"):
        _checks.finite_array("abc", "x")
    with pytest.raises(ValueError, match=r"^x must be 2-dimensional, got shape \(3,\)$"):
        _checks.finite_array([1.0, 2.0, 3.0], "x", ndim=2)
    with pytest.raises(ValueError, match=r"^x contains 2 NaN or infinite value\(s\)$"):
        _checks.finite_array([1.0, np.nan, np.inf], "x")


def test_finite_series_and_frame():
    series = _checks.finite_series(pd.Series([1, 2]), "s")
    assert series.dtype == float
    frame = _checks.finite_frame(pd.DataFrame({"a": [1, 2]}), "f")
    assert frame.dtypes.tolist() == [np.dtype(float)]
    with pytest.raises(InputTypeError, match=r"^s must be a pandas Series, got list$"):
        _checks.finite_series([1.0], "s")
    with pytest.raises(ValueError, match=r"^s has duplicate labels: \['a'\]$"):
        _checks.finite_series(pd.Series([1.0, 2.0], index=["a", "a"]), "s")
    with pytest.raises(InputTypeError, match=r"^f must be a pandas DataFrame, got Series$"):
        _checks.finite_frame(series, "f")
    with pytest.raises(ValueError, match=r"^f has duplicate row labels: \[0\]$"):
        _checks.finite_frame(pd.DataFrame({"a": [1.0, 2.0]}, index=[0, 0]), "f")
    with pytest.raises(ValueError, match=r"^f has duplicate column labels: \['a'\]$"):
        _checks.finite_frame(pd.DataFrame([[1.0, 2.0]], columns=["a", "a"]), "f")
    with pytest.raises(ValueError, match=r"^f contains 1 NaN"):
        _checks.finite_frame(pd.DataFrame({"a": [1.0, np.nan]}), "f")


def test_sums_to_at_its_tolerance():
    _checks.sums_to(np.array([1e-8]), 0.0, "active weights")  # exactly at the tolerance: accepted
    with pytest.raises(ValueError, match=r"^active weights must sum to 0, but they sum to 1.5e-08$"):
        _checks.sums_to(np.array([1.5e-8]), 0.0, "active weights")
    with pytest.raises(ValueError, match=r"^weights must sum to 1, but they sum to 0.9$"):
        _checks.sums_to(pd.Series([0.5, 0.4]), 1.0, "weights")


def test_symmetric_tolerance_scales_with_the_largest_entry():
    _checks.symmetric(np.array([[1.0, 5e-11], [0.0, 1.0]]), "m")
    with pytest.raises(ValueError, match=r"^m is not symmetric$"):
        _checks.symmetric(np.array([[1.0, 2e-10], [0.0, 1.0]]), "m")
    # entries of 1e6: the allowance is 1e-10 * 1e6 = 1e-4
    _checks.symmetric(np.array([[1e6, 5e-5], [0.0, 1e6]]), "m")
    with pytest.raises(ValueError, match=r"^m is not symmetric$"):
        _checks.symmetric(np.array([[1e6, 2e-4], [0.0, 1e6]]), "m")
    with pytest.raises(ValueError, match=r"^m must be square, got shape \(2, 3\)$"):
        _checks.symmetric(np.zeros((2, 3)), "m")
    with pytest.raises(ValueError, match=r"^m must be square, got shape \(2,\)$"):
        _checks.symmetric(np.zeros(2), "m")


def test_positive_variances_rejects_zero():
    _checks.positive_variances(pd.DataFrame(np.eye(2), index=["a", "b"]), "c")
    with pytest.raises(ValueError, match=r"^c has a non-positive variance on its diagonal, for \['b'\]$"):
        _checks.positive_variances(pd.DataFrame(np.diag([1.0, 0.0]), index=["a", "b"]), "c")


def test_a_singular_matrix_is_not_positive_definite_even_when_it_factors():
    # rank one: whether LAPACK's Cholesky factor fails or leaves a pivot of rounding
    # noise depends on the build, so the pivot is checked against the diagonal's scale
    v = np.array([1e-2, 2e-2, 3e-2])
    singular = np.outer(v, v)
    with pytest.raises(ValueError, match=r"^m is not positive definite"):
        _checks.positive_definite(singular, "m")
    with pytest.raises(ValueError, match=r"^m is not positive definite"):
        _checks.positive_definite(singular + np.diag([0.0, 0.0, 1e-22]), "m")
    _checks.positive_definite(singular + np.diag([1e-8, 1e-8, 1e-8]), "m")


def test_positive_semidefinite_allows_zero_eigenvalues_but_not_negative_ones():
    v = np.array([1.0, 2.0, 3.0])
    _checks.positive_semidefinite(np.outer(v, v), "m")  # eigenvalues 0, 0, 14
    with pytest.raises(ValueError, match=r"^m is not positive semi-definite \(smallest eigenvalue -1\)$"):
        _checks.positive_semidefinite(np.array([[1.0, 2.0], [2.0, 1.0]]), "m")
    with pytest.raises(ValueError, match=r"^m is not symmetric$"):
        _checks.positive_semidefinite(np.array([[1.0, 0.5], [0.0, 1.0]]), "m")


def test_singular_at_the_ratio():
    stack = np.array([np.diag([1.0, 1e-12]), np.diag([1.0, 2e-12]), np.diag([1.0, 0.5]), np.zeros((2, 2))])
    assert _checks.singular(stack).tolist() == [True, False, False, True]


def test_positive_definite_names_the_smallest_eigenvalue():
    _checks.positive_definite(np.eye(2), "m")
    with pytest.raises(ValueError, match=r"^m is not positive definite \(smallest eigenvalue -1\)$"):
        _checks.positive_definite(np.array([[1.0, 2.0], [2.0, 1.0]]), "m")
    with pytest.raises(ValueError, match=r"^m is not symmetric$"):
        _checks.positive_definite(np.array([[1.0, 0.5], [0.0, 1.0]]), "m")


@pytest.mark.parametrize(
    "data",
    [pd.Series([1.0, 2.0], index=["a", "b"], name="w"), pd.DataFrame({"x": [1.0, 2.0]}, index=["a", "b"])],
)
def test_frozen_is_a_read_only_copy(data):
    frozen = _checks.frozen(data)
    assert frozen.equals(data) and type(frozen) is type(data)
    if isinstance(data, pd.Series):
        assert frozen.name == "w"
    with pytest.raises(ValueError, match="read-only"):
        frozen.to_numpy()[0] = 5.0
    data.iloc[0] = 9.0
    assert frozen.to_numpy().ravel()[0] == 1.0
