"""Exposures: each formula against values worked out by hand on a few stocks."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mini.exposures import (
    covered_exposures,
    exposure_matrix,
    fill_missing,
    industry_dummies,
    standardise,
    standardise_like,
    variance_inflation_factors,
    winsorise,
)
from mini.universe import Universe


def test_winsorise_clips_at_the_median_plus_k_scaled_mads():
    values = pd.Series([-50.0, 1.0, 2.0, 3.0, 4.0, 5.0, 100.0], index=list("abcdefg"), name="VALUE")
    # median 3; absolute deviations 53, 2, 1, 0, 1, 2, 97 have median 2; s = 1.4826 * 2
    spread = 1.4826 * 2.0
    clipped = winsorise(values, limit=2.0)
    assert clipped["g"] == pytest.approx(3.0 + 2.0 * spread, rel=1e-15)
    assert clipped["a"] == pytest.approx(3.0 - 2.0 * spread, rel=1e-15)
    assert (clipped[list("bcdef")] == values[list("bcdef")]).all()


def test_winsorise_leaves_values_inside_the_band_alone():
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 100.0], index=list("abcde"), name="VALUE")
    # median 3, MAD 1: the band is 3 ± 3 * 1.4826 = [-1.4478, 7.4478]
    clipped = winsorise(values)
    assert clipped["e"] == pytest.approx(7.4478, rel=1e-15)
    assert np.array_equal(clipped.iloc[:4], values.iloc[:4])


def test_standardise_by_hand():
    d = pd.Series([1.0, 2.0, 6.0], index=list("abc"), name="SIZE")
    cap = pd.Series({"c": 0.25, "a": 0.5, "b": 0.25})
    # cap-weighted mean 0.5 + 0.5 + 1.5 = 2.5; population std of (1, 2, 6) is sqrt(14/3)
    z = standardise(d, cap)
    assert np.allclose(z, (d - 2.5) / np.sqrt(14 / 3), rtol=1e-14)
    ref = pd.Series([1.0, 3.0], index=["a", "b"], name="SIZE")
    like = standardise_like(pd.Series({"x": 4.0}, name="SIZE"), ref, pd.Series({"a": 0.75, "b": 0.25}))
    assert like["x"] == pytest.approx((4.0 - 1.5) / 1.0, rel=1e-14)  # reference std is 1


def test_fill_missing_and_dummies_by_hand():
    d = pd.Series([1.0, np.nan, 4.0, 10.0, np.nan], index=list("abcde"), name="VALUE")
    groups = pd.Series(["X", "X", "X", "Y", "Y"], index=list("abcde"))
    filled = fill_missing(d, groups)
    assert filled.to_dict() == {"a": 1.0, "b": 2.5, "c": 4.0, "d": 10.0, "e": 10.0}
    dummies = industry_dummies(groups, ["Y", "X", "Z"])
    assert list(dummies.columns) == ["Y", "X", "Z"]
    assert dummies["X"].tolist() == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert dummies["Z"].sum() == 0.0


def _four_stocks() -> tuple[Universe, pd.DataFrame]:
    """Stocks a-d in industries X, Y, X, Y (listed Y first), caps and SIZE 4, 3, 2, 1."""
    stocks = list("abcd")
    universe = Universe(
        industry=pd.Series(["X", "Y", "X", "Y"], index=stocks),
        cap=pd.Series([4.0, 3.0, 2.0, 1.0], index=stocks),
        industries=("Y", "X"),
    )
    return universe, pd.DataFrame({"SIZE": [4.0, 3.0, 2.0, 1.0]}, index=stocks)


def test_exposure_matrix_by_hand():
    universe, descriptors = _four_stocks()
    x = exposure_matrix(universe, descriptors)
    assert list(x.columns) == ["MKT", "Y", "X", "SIZE"]
    assert (x["MKT"] == 1.0).all() and x["X"].tolist() == [1.0, 0.0, 1.0, 0.0]
    # cap-weighted mean (16 + 9 + 4 + 1) / 10 = 3; population std sqrt(1.25)
    assert np.allclose(x["SIZE"], (np.array([4.0, 3.0, 2.0, 1.0]) - 3.0) / np.sqrt(1.25), rtol=1e-14)
    covered = covered_exposures(
        universe, descriptors, pd.Series({"e": "Y"}), pd.DataFrame({"SIZE": [5.0]}, index=["e"])
    )
    assert covered.loc["e"].to_dict() == pytest.approx(
        {"MKT": 1.0, "Y": 1.0, "X": 0.0, "SIZE": 2.0 / np.sqrt(1.25)}
    )


def test_variance_inflation_factors_against_an_unweighted_regression():
    rng = np.random.default_rng(2)
    stocks = [f"s{i}" for i in range(12)]
    a = rng.normal(size=12)
    x = pd.DataFrame({"A": a, "B": 0.8 * a + rng.normal(size=12), "C": rng.normal(size=12)}, index=stocks)
    vifs = variance_inflation_factors(x.assign(MKT=1.0), pd.Series(1.0, index=stocks), ["A", "B"])
    for name in ("A", "B"):
        others = np.column_stack([np.ones(12), x.drop(columns=name).to_numpy()])
        y = x[name].to_numpy()
        resid = y - others @ np.linalg.lstsq(others, y, rcond=None)[0]
        r2 = 1 - resid @ resid / np.sum((y - y.mean()) ** 2)
        assert vifs[name] == pytest.approx(1 / (1 - r2), rel=1e-10)
    # with weights: twice the weight on a stock counts it twice
    weights = pd.Series(1.0, index=stocks)
    weights.iloc[0] = 2.0
    doubled = pd.concat([x.assign(MKT=1.0), x.assign(MKT=1.0).iloc[[0]].rename(index={"s0": "copy"})])
    expected = variance_inflation_factors(doubled, pd.Series(1.0, index=doubled.index), ["C"])
    got = variance_inflation_factors(x.assign(MKT=1.0), weights, ["C"])
    assert got["C"] == pytest.approx(expected["C"], rel=1e-10)


def test_exposure_edge_cases_and_messages():
    stocks = list("abc")
    flat = pd.Series(2.0, index=stocks, name="FLAT")
    equal = pd.Series(1 / 3, index=stocks)
    with pytest.raises(ValueError, match="^descriptor 'FLAT' is constant across stocks"):
        standardise(flat, equal)
    with pytest.raises(ValueError, match="^reference descriptor 'FLAT' is constant across stocks"):
        standardise_like(flat, flat, equal)
    with pytest.raises(ValueError, match="^descriptor 'FLAT' has no spread around its median"):
        winsorise(flat)
    with pytest.raises(ValueError, match="^winsorising limit must be positive, got 0"):
        winsorise(pd.Series([1.0, 2.0, 3.0], index=stocks), limit=0.0)
    groups = pd.Series(["X", "Y", "Y"], index=stocks)
    with pytest.raises(ValueError, match=r"^every value of 'V' is missing in group\(s\) \['X'\]$"):
        fill_missing(pd.Series([np.nan, 1.0, 2.0], index=stocks, name="V"), groups)
    with pytest.raises(ValueError, match="^descriptor 'V' contains infinite values$"):
        fill_missing(pd.Series([np.inf, 1.0, 2.0], index=stocks, name="V"), groups)
    with pytest.raises(ValueError, match=r"^unknown industry \['Z'\]"):
        industry_dummies(pd.Series(["X", "Z", "X"], index=stocks), ["X", "Y"])


def test_variance_inflation_factor_edge_cases():
    stocks = list("abcd")
    x = pd.DataFrame({"MKT": 1.0, "A": [1.0, 2.0, 3.0, 4.0], "B": [2.0, 4.0, 6.0, 8.0]}, index=stocks)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # infinite by the rule r2 >= 1, not by dividing by zero
        vifs = variance_inflation_factors(x, pd.Series(1.0, index=stocks), ["A"])
    assert vifs["A"] == np.inf  # B explains A exactly
    assert vifs.name == "VIF"
    with pytest.raises(ValueError, match="^weights must be positive$"):
        variance_inflation_factors(x, pd.Series([1.0, 1.0, 1.0, 0.0], index=stocks), ["A"])
    with pytest.raises(ValueError, match="^exposure 'MKT' is constant, so its VIF is undefined$"):
        variance_inflation_factors(x, pd.Series(1.0, index=stocks), ["MKT"])


def test_winsorise_with_a_limit_below_one():
    values = pd.Series([1.0, 2.0, 3.0, 4.0, 100.0], index=list("abcde"), name="VALUE")
    clipped = winsorise(values, limit=0.5)  # band 3 +- 0.5 * 1.4826
    assert clipped.tolist() == pytest.approx([3 - 0.7413, 2.2587, 3.0, 3.7413, 3.7413], rel=1e-14)


def test_variance_inflation_factors_align_weights_by_label():
    rng = np.random.default_rng(12)
    stocks = [f"s{i}" for i in range(8)]
    x = pd.DataFrame({"MKT": 1.0, "A": rng.normal(size=8), "B": rng.normal(size=8)}, index=stocks)
    w = pd.Series(rng.uniform(0.5, 2.0, 8), index=stocks)
    shuffled = w.iloc[::-1]
    assert variance_inflation_factors(x, shuffled, ["A"])["A"] == pytest.approx(
        variance_inflation_factors(x, w, ["A"])["A"], rel=1e-12
    )
    root = np.sqrt(w.to_numpy())
    others = x[["MKT", "B"]].to_numpy()
    y = x["A"].to_numpy()
    resid = y - others @ np.linalg.lstsq(others * root[:, None], y * root, rcond=None)[0]
    centre = w.to_numpy() @ y / w.sum()
    r2 = 1 - (w.to_numpy() @ resid**2) / (w.to_numpy() @ (y - centre) ** 2)
    assert variance_inflation_factors(x, shuffled, ["A"])["A"] == pytest.approx(1 / (1 - r2), rel=1e-10)


def test_exposure_inputs_are_named_when_bad():
    stocks = list("abc")
    universe = Universe(
        industry=pd.Series(["X", "X", "Y"], index=stocks),
        cap=pd.Series(1.0, index=stocks),
        industries=("X", "Y"),
    )
    d = pd.DataFrame({"SIZE": [1.0, 2.0, 3.0]}, index=stocks)
    cov = pd.DataFrame({"SIZE": [4.0]}, index=["e"])
    e_ind = pd.Series({"e": "X"})
    with pytest.raises(ValueError, match="^descriptors contains 1 NaN"):
        covered_exposures(universe, d.mask(d > 2.5), e_ind, cov)
    with pytest.raises(ValueError, match="^covered descriptors contains 1 NaN"):
        covered_exposures(universe, d, e_ind, cov.mask(cov > 0))
    with pytest.raises(
        ValueError, match=r"^descriptors does not match the model's stocks: missing stocks \['c'\]"
    ):
        covered_exposures(universe, d.drop("c"), e_ind, cov)
    with pytest.raises(ValueError, match="^covered descriptors does not match the model's style descriptors"):
        covered_exposures(universe, d, e_ind, cov.rename(columns={"SIZE": "VALUE"}))
    with pytest.raises(ValueError, match="^covered industry labels does not match the model's stocks"):
        covered_exposures(universe, d, pd.Series({"f": "X"}), cov)
    with pytest.raises(ValueError, match="^descriptors contains 1 NaN"):
        exposure_matrix(universe, d.mask(d > 2.5))
    with pytest.raises(ValueError, match="^groups does not match the model's stocks"):
        fill_missing(d["SIZE"], pd.Series({"a": "X"}))
    with pytest.raises(ValueError, match="^descriptor must be a pandas Series, got DataFrame$"):
        fill_missing(d, pd.Series({"a": "X", "b": "X", "c": "Y"}))
    x = d.assign(MKT=1.0)
    with pytest.raises(ValueError, match="^exposures contains 1 NaN"):
        variance_inflation_factors(x.mask(x > 2.5), pd.Series(1.0, index=stocks), ["SIZE"])
    with pytest.raises(ValueError, match="^weights contains 1 NaN"):
        variance_inflation_factors(x, pd.Series([1.0, np.nan, 1.0], index=stocks), ["SIZE"])
    with pytest.raises(ValueError, match="^weights does not match the model's stocks"):
        variance_inflation_factors(x, pd.Series(1.0, index=list("abd")), ["SIZE"])
    assert fill_missing(pd.Series([1, 2, 3], index=stocks), pd.Series("X", index=stocks)).dtype == float


def test_fill_missing_reads_missing_values_given_as_none():
    # an object column, as read from a file with blanks: None counts as missing
    d = pd.Series([1.0, None, 3.0, 5.0], index=list("abcd"), dtype=object, name="VALUE")
    groups = pd.Series(["X", "X", "X", "Y"], index=list("abcd"))
    pd.testing.assert_series_equal(
        fill_missing(d, groups), pd.Series([1.0, 2.0, 3.0, 5.0], index=list("abcd"), name="VALUE")
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: fill_missing(pd.Series([1.0, np.nan], index=list("ab")), ["X", "X"]),
            r"^groups must be a pandas Series, got list$",
        ),
        (
            lambda: winsorise(pd.Series([1.0, np.inf, 3.0], name="VALUE")),
            r"^descriptor 'VALUE' contains 1 NaN",
        ),
    ],
)
def test_exposure_inputs_are_named_in_the_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_standardising_names_the_bad_descriptor_and_cap_weights_in_full():
    """Each check in standardise and standardise_like names its input: the descriptor, the
    reference descriptor and the cap weights (a NaN, missing stocks, a sum other than 1)."""
    stocks = list("abc")
    d = pd.Series([1.0, 2.0, 3.0], index=stocks, name="SIZE")
    cap = pd.Series([0.5, 0.25, 0.25], index=stocks)
    nan_d = d.mask(d > 2.5)
    nan_cap = cap.mask(cap > 0.4)
    one_nan = r" contains 1 NaN or infinite value\(s\)$"
    with pytest.raises(ValueError, match=r"^descriptor 'SIZE'" + one_nan):
        standardise(nan_d, cap)
    with pytest.raises(ValueError, match=r"^cap weights" + one_nan):
        standardise(d, nan_cap)
    with pytest.raises(ValueError, match=r"^descriptor 'SIZE'" + one_nan):
        standardise_like(nan_d, d, cap)
    with pytest.raises(ValueError, match=r"^reference descriptor 'SIZE'" + one_nan):
        standardise_like(d, nan_d, cap)
    with pytest.raises(ValueError, match=r"^cap weights" + one_nan):
        standardise_like(d, d, nan_cap)
    with pytest.raises(
        ValueError, match=r"^cap weights does not match the model's stocks: missing stocks \['c'\]$"
    ):
        standardise_like(d, d, pd.Series([0.5, 0.5], index=["a", "b"]))
    # 0.5 + 0.25 + 0.15 = 0.9
    with pytest.raises(ValueError, match=r"^cap weights must sum to 1, but they sum to 0\.9$"):
        standardise_like(d, d, pd.Series([0.5, 0.25, 0.15], index=stocks))


def test_exposure_rows_follow_the_universe_and_the_covered_stocks_in_their_order():
    """Descriptors and industry labels given in another order than the universe's stocks
    still come back in the universe's (or the covered descriptors') row order, and the
    dummies keep the stocks' labels."""
    stocks = list("abcd")
    universe, descriptors = _four_stocks()
    x = exposure_matrix(universe, descriptors.iloc[::-1])
    assert list(x.index) == stocks
    # cap-weighted mean 3, population std sqrt(1.25), as in test_exposure_matrix_by_hand
    assert np.allclose(x["SIZE"], (np.array([4.0, 3.0, 2.0, 1.0]) - 3.0) / np.sqrt(1.25), rtol=1e-14)
    covered = covered_exposures(
        universe,
        descriptors,
        pd.Series({"f": "X", "e": "Y"}),
        pd.DataFrame({"SIZE": [5.0, 1.0]}, index=["e", "f"]),
    )
    assert list(covered.index) == ["e", "f"]
    assert covered["Y"].tolist() == [1.0, 0.0] and covered["X"].tolist() == [0.0, 1.0]
    dummies = industry_dummies(pd.Series(["X", "Y"], index=["p", "q"]), ["X", "Y"])
    assert list(dummies.index) == ["p", "q"]
    assert dummies.dtypes.tolist() == [np.float64, np.float64]


def test_exposure_matrix_names_a_descriptor_table_without_every_stock():
    """The full message when the descriptors lack a stock of the universe."""
    stocks = list("abc")
    universe = Universe(
        industry=pd.Series(["X", "X", "Y"], index=stocks),
        cap=pd.Series(1.0, index=stocks),
        industries=("X", "Y"),
    )
    d = pd.DataFrame({"SIZE": [1.0, 2.0]}, index=["a", "b"])
    with pytest.raises(
        ValueError, match=r"^descriptors does not match the model's stocks: missing stocks \['c'\]$"
    ):
        exposure_matrix(universe, d)
