"""Time-series betas and Fama–MacBeth against textbook formulas and scipy's regression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mini.timeseries import fama_macbeth, shrink_betas, time_series_betas, vasicek_weights


def _one_factor_sample():
    rng = np.random.default_rng(17)
    f = pd.DataFrame({"MKT": rng.normal(0.01, 0.04, 12)})
    r = pd.DataFrame({"a": 0.002 + 1.3 * f["MKT"] + rng.normal(0, 0.02, 12), "b": rng.normal(0, 0.05, 12)})
    return r, f


def test_one_factor_betas_and_standard_errors_equal_scipy_linregress():
    r, f = _one_factor_sample()
    fit = time_series_betas(r, f)
    for name in r.columns:
        line = stats.linregress(f["MKT"], r[name])
        assert fit.betas.loc[name, "MKT"] == pytest.approx(line.slope, rel=1e-12)
        assert fit.alpha[name] == pytest.approx(line.intercept, rel=1e-10, abs=1e-15)
        assert fit.standard_errors.loc[name, "MKT"] == pytest.approx(line.stderr, rel=1e-12)
        assert fit.alpha_standard_error[name] == pytest.approx(line.intercept_stderr, rel=1e-12)


def test_one_factor_residual_vol_by_hand():
    r, f = _one_factor_sample()
    fit = time_series_betas(r, f)
    x = f["MKT"].to_numpy()
    for name in r.columns:
        y = r[name].to_numpy()
        slope = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)
        resid = y - y.mean() - slope * (x - x.mean())
        # T = 12 periods, one factor and an intercept: T - 2 = 10 degrees of freedom
        assert fit.residual_vol[name] == pytest.approx(np.sqrt(np.sum(resid**2) / 10), rel=1e-12)
        # textbook: se(slope) = s / sqrt(sum (x - mean)^2)
        se = np.sqrt(np.sum(resid**2) / 10) / np.sqrt(np.sum((x - x.mean()) ** 2))
        assert fit.standard_errors.loc[name, "MKT"] == pytest.approx(se, rel=1e-12)


def test_two_factor_standard_errors_by_frisch_waugh():
    """se of a slope = s / sqrt(residual sum of squares of its factor on the other regressors)."""
    rng = np.random.default_rng(3)
    f = pd.DataFrame(rng.normal(0, 0.03, (9, 2)), columns=["MKT", "RATES"])
    r = pd.DataFrame({"a": rng.normal(0, 0.05, 9)})
    fit = time_series_betas(r, f)
    design = np.column_stack([np.ones(9), f.to_numpy()])
    coef, ssr, *_ = np.linalg.lstsq(design, r["a"].to_numpy(), rcond=None)
    s = np.sqrt(ssr[0] / (9 - 2 - 1))
    assert fit.residual_vol["a"] == pytest.approx(s, rel=1e-12)
    for j, name in enumerate(["MKT", "RATES"], start=1):
        others = np.delete(design, j, axis=1)
        _, partial_ssr, *_ = np.linalg.lstsq(others, design[:, j], rcond=None)
        assert fit.standard_errors.loc["a", name] == pytest.approx(s / np.sqrt(partial_ssr[0]), rel=1e-10)
    _, const_ssr, *_ = np.linalg.lstsq(design[:, 1:], design[:, 0], rcond=None)
    assert fit.alpha_standard_error["a"] == pytest.approx(s / np.sqrt(const_ssr[0]), rel=1e-10)
    assert np.allclose(fit.betas.loc["a"], coef[1:], rtol=1e-12)


def test_shrink_betas_by_hand():
    betas = pd.Series({"a": 0.5, "b": 1.5})
    se = pd.Series({"b": 0.2, "a": 0.1})
    # prior N(1, 0.1^2): weights on the estimate 0.01 / (0.01 + 0.01) and 0.01 / (0.01 + 0.04)
    shrunk = shrink_betas(betas, se, prior_mean=1.0, prior_std=0.1)
    assert shrunk["a"] == pytest.approx(0.5 * 0.5 + 0.5 * 1.0, rel=1e-14)
    assert shrunk["b"] == pytest.approx(0.2 * 1.5 + 0.8 * 1.0, rel=1e-14)
    # default prior: mean 1, variance var(betas) - mean(se^2) = 0.5 - 0.025
    prior_var = 0.5 - 0.025
    default = shrink_betas(betas, se)
    weight_a = prior_var / (prior_var + 0.01)
    assert default["a"] == pytest.approx(weight_a * 0.5 + (1 - weight_a) * 1.0, rel=1e-14)


def test_vasicek_weights_by_hand_and_their_bad_input():
    betas = pd.Series({"a": 0.5, "b": 1.5})
    se = pd.Series({"b": 0.2, "a": 0.1})
    # default prior variance var(betas) - mean(se^2) = 0.5 - 0.025 = 0.475
    weights = vasicek_weights(betas, se)
    assert list(weights.index) == ["a", "b"]
    assert weights["a"] == pytest.approx(0.475 / (0.475 + 0.01), rel=1e-14)
    assert weights["b"] == pytest.approx(0.475 / (0.475 + 0.04), rel=1e-14)
    assert vasicek_weights(betas, se, prior_std=0.1)["b"] == pytest.approx(0.2, rel=1e-14)
    shrunk = shrink_betas(betas, se)
    assert np.allclose(shrunk - 1.0, weights * (betas - 1.0), rtol=0, atol=1e-15)
    with pytest.raises(ValueError, match="standard errors must be positive"):
        vasicek_weights(betas, se * 0)
    with pytest.raises(ValueError, match="missing assets"):
        vasicek_weights(betas, se.drop("a"))


def test_fama_macbeth_against_scipy_per_period():
    rng = np.random.default_rng(11)
    z = rng.normal(size=(4, 8, 1))
    returns = pd.DataFrame(0.01 * z[:, :, 0] + rng.normal(0, 0.02, (4, 8)))
    fit = fama_macbeth(returns, z, ["VAL"])
    slopes = [stats.linregress(z[t, :, 0], returns.iloc[t]).slope for t in range(4)]
    assert np.allclose(fit.slopes["VAL"], slopes, rtol=1e-12)
    assert fit.mean["VAL"] == pytest.approx(np.mean(slopes), rel=1e-12)
    result = stats.ttest_1samp(slopes, 0.0)
    assert fit.t_stat["VAL"] == pytest.approx(result.statistic, rel=1e-12)
    assert fit.standard_error["VAL"] == pytest.approx(np.std(slopes, ddof=1) / 2, rel=1e-12)


def test_time_series_betas_with_one_degree_of_freedom_and_its_labels():
    f = pd.DataFrame({"MKT": [0.01, 0.03, -0.02]}, index=[1, 2, 3])
    r = pd.DataFrame({"a": [0.02, 0.01, 0.0]}, index=[1, 2, 3])
    fit = time_series_betas(r, f)  # T = K + 2: one residual degree of freedom
    line = stats.linregress(f["MKT"], r["a"])
    assert fit.residual_vol["a"] == pytest.approx(
        np.sqrt(np.sum((r["a"] - line.intercept - line.slope * f["MKT"]) ** 2) / 1), rel=1e-10
    )
    assert (fit.alpha.name, fit.alpha_standard_error.name, fit.residual_vol.name) == (
        "alpha",
        "alpha standard error",
        "residual vol",
    )
    assert list(fit.betas.columns) == ["MKT"] and list(fit.standard_errors.index) == ["a"]
    with pytest.raises(ValueError, match="^2 periods cannot identify 1 betas and an intercept$"):
        time_series_betas(r.iloc[:2], f.iloc[:2])
    with pytest.raises(ValueError, match="^asset and factor returns must cover the same periods$"):
        time_series_betas(r, f.set_axis([1, 2, 4]))


def test_shrink_betas_floor_and_names():
    betas = pd.Series({"a": 1.0, "b": 1.1})
    se = pd.Series({"a": 0.5, "b": 0.5})
    # the dispersion (0.005) is less than the noise (0.25): the prior variance is floored at 1e-12
    shrunk = shrink_betas(betas, se)
    weight = 1e-12 / (1e-12 + 0.25)
    assert shrunk["a"] == pytest.approx(weight * 1.0 + (1 - weight) * 1.05, rel=1e-15)
    assert shrunk.name == "shrunk beta"
    with pytest.raises(ValueError, match="^standard errors must be positive$"):
        shrink_betas(betas, pd.Series({"a": 0.0, "b": 0.5}))
    with pytest.raises(ValueError, match="^prior standard deviation must be positive, got 0"):
        shrink_betas(betas, se, prior_std=0.0)


def test_fama_macbeth_labels_and_two_periods():
    z = np.array([[[0.0], [1.0], [2.0]], [[1.0], [0.0], [2.0]]])
    returns = pd.DataFrame([[0.0, 0.01, 0.02], [0.02, 0.0, 0.03]], index=["t1", "t2"])
    fit = fama_macbeth(returns, z, ["VAL"])
    assert list(fit.slopes.columns) == ["const", "VAL"] and list(fit.slopes.index) == ["t1", "t2"]
    # t1: exact line 0.01 * z; t2: slope of (1, 0, 2) -> (0.02, 0, 0.03) by least squares
    slope2 = stats.linregress([1.0, 0.0, 2.0], [0.02, 0.0, 0.03]).slope
    assert fit.slopes["VAL"].tolist() == pytest.approx([0.01, slope2], rel=1e-12)
    with pytest.raises(ValueError, match="^need at least two periods$"):
        fama_macbeth(returns.iloc[:1], z[:1], ["VAL"])


def test_shrink_betas_names_bad_input():
    betas = pd.Series({"a": 1.0, "b": 1.1})
    se = pd.Series({"a": 0.5, "b": 0.5})
    with pytest.raises(ValueError, match="^betas contains 1 NaN"):
        shrink_betas(betas.where(betas > 1.05), se)
    with pytest.raises(ValueError, match="^standard errors contains 1 NaN"):
        shrink_betas(betas, se.where(betas > 1.05))
    with pytest.raises(
        ValueError, match=r"^standard errors does not match the model's assets: missing assets \['b'\]"
    ):
        shrink_betas(betas, se.drop("b"))


def test_time_series_betas_name_bad_input():
    r, f = _one_factor_sample()
    with pytest.raises(ValueError, match="^asset returns contains 1 NaN"):
        time_series_betas(r.mask(r == r.iloc[0, 0]), f)
    with pytest.raises(ValueError, match="^factor returns contains 1 NaN"):
        time_series_betas(r, f.mask(f == f.iloc[0, 0]))
    with pytest.raises(ValueError, match="^factor returns are collinear, so the betas are not identified$"):
        time_series_betas(r, f.assign(COPY=2 * f["MKT"]))


@pytest.mark.parametrize(
    ("returns", "characteristics", "message"),
    [
        ([[np.nan, 0.01, 0.02], [0.02, 0.0, 0.03]], None, r"^returns contains 1 NaN"),
        (None, [[[np.nan], [1.0], [2.0]], [[1.0], [0.0], [2.0]]], r"^characteristics contains 1 NaN"),
        (
            None,
            [[0.0, 1.0, 2.0], [1.0, 0.0, 2.0]],
            r"^characteristics must be 3-dimensional, got shape \(2, 3\)$",
        ),
        (
            None,
            [[[0.0], [1.0]], [[1.0], [0.0]]],
            r"^characteristics \(2, 2, 1\) do not match returns \(2, 3\)",
        ),
        (
            None,
            [[[1.0], [1.0], [1.0]], [[1.0], [0.0], [2.0]]],
            r"^characteristics are collinear in some period$",
        ),
    ],
)
def test_fama_macbeth_names_bad_input(returns, characteristics, message):
    good_z = [[[0.0], [1.0], [2.0]], [[1.0], [0.0], [2.0]]]
    good_r = [[0.0, 0.01, 0.02], [0.02, 0.0, 0.03]]
    frame = pd.DataFrame(good_r if returns is None else returns)
    with pytest.raises(ValueError, match=message):
        fama_macbeth(frame, np.array(good_z if characteristics is None else characteristics), ["VAL"])


def test_shrink_betas_towards_a_given_prior_mean_and_its_bad_value():
    betas = pd.Series({"a": 1.0, "b": 2.0})
    se = pd.Series({"a": 0.5, "b": 1.0})
    # prior std 1: weights 1 / 1.25 and 1 / 2 on the own estimate, the rest on 0.5
    shrunk = shrink_betas(betas, se, prior_mean=0.5, prior_std=1.0)
    assert shrunk.tolist() == pytest.approx([0.8 * 1.0 + 0.2 * 0.5, 0.5 * 2.0 + 0.5 * 0.5], rel=1e-14)
    with pytest.raises(ValueError, match="^prior mean must be a finite number, got nan$"):
        shrink_betas(betas, se, prior_mean=float("nan"))


def test_vasicek_weights_are_named_with_a_given_prior():
    weights = vasicek_weights(pd.Series({"a": 0.5, "b": 1.5}), pd.Series({"a": 0.1, "b": 0.2}), prior_std=0.1)
    assert weights.name == "weight on own estimate"
    assert weights.tolist() == pytest.approx([0.5, 0.2], rel=1e-14)  # 0.01 / (0.01 + s^2)
