r"""Cross-checks of mini against an independent open-source implementation (skfolio).

Not part of the taught library: it serves tests/test_reference.py and
benchmarks/pipeline.py, and no chapter uses it.

A reader who trusts every number deserves a second opinion. skfolio's
``CharacteristicsFactorModel`` estimates factor returns by the same constrained
weighted least squares as :func:`mini.regression.panel_regression`:

.. math:: \hat f_t = \arg\min_{f:\ c_t^\top f_{\text{ind}} = 0}
   \sum_i \sqrt{\mathrm{cap}_{it}}\, (r_{it} - x_{it}^\top f)^2 ,

with the cap-weighted industry returns summing to zero. This module feeds it the
simulated panel with the *same* exposures (passed through untouched, no re-scaling or
winsorising), √cap regression weights and the industry constraint, so the two sets of
factor returns can be compared number for number.

skfolio dates its observations at the end of a period and regresses the returns of
period t on the exposures and caps of observation t − 1 (``exposure_lag=1``). The
simulated market stores start-of-period caps and exposures, so the panel handed to
skfolio has one extra leading observation: observation s carries the caps and
exposures at the start of period s and the returns of period s − 1 (zero for s = 0,
which skfolio uses only as the lagged side). skfolio is imported only when these
functions are called, so the rest of :mod:`mini` does not depend on it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mini import _checks
from mini.simulation import MARKET, STYLES, SimulatedMarket


def _skfolio() -> Any:
    try:
        import skfolio  # noqa: F401
    except ImportError as error:  # pragma: no cover - skfolio is in requirements.txt
        raise ImportError("the skfolio cross-check needs skfolio: pip install -r requirements.txt") from error
    return skfolio


def skfolio_panel(market: SimulatedMarket) -> Any:
    """The simulated market as a skfolio ``AssetPanel`` (one extra leading observation).

    Fields: ``returns``, ``market_cap``, one field per style holding the simulated
    (already standardised) exposures, and the categorical ``industry``.
    """
    _skfolio()
    from skfolio.containers import AssetPanel

    n_periods, n_stocks, _ = market.exposures.shape
    caps = market.caps.to_numpy()
    returns = market.returns.to_numpy()
    # The last observation closes the last period: end caps, and exposures that skfolio
    # reads only for its forecast (not for any regression), so the last ones serve.
    end_caps = caps[-1] * np.maximum(1.0 + returns[-1], 0.05)
    fields: dict[str, np.ndarray] = {
        "returns": np.vstack([np.zeros((1, n_stocks)), returns]),
        "market_cap": np.vstack([caps, end_caps]),
    }
    for style in STYLES:
        column = market.exposures[:, :, market.factors.get_loc(style)]
        fields[style.lower()] = np.vstack([column, column[-1:]])
    panel = AssetPanel(
        fields=fields, observations=np.arange(n_periods + 1), asset_names=np.asarray(market.stocks)
    )
    codes = market.industry.map({name: k for k, name in enumerate(market.industries)}).to_numpy()
    panel.add_categorical_field(
        name="industry", values=np.tile(codes, (n_periods + 1, 1)), levels=market.industries
    )
    return panel


def skfolio_model(market: SimulatedMarket, half_life: float = 90.0) -> Any:
    r"""An unfitted ``CharacteristicsFactorModel`` configured like :func:`mini.simulation.fit_cross_sections`.

    Market: a global factor (exposure one). Industries: one-hot, with the
    cap-weighted zero-sum constraint, eliminating the last industry as
    :func:`mini.constraints.industry_restrictions` does. Styles: the panel's exposures
    passed through unchanged. Regression weights :math:`\mathrm{cap}^{1/2}`, benchmark
    (constraint) weights :math:`\mathrm{cap}^{1}`. Factor covariance and specific
    variances: plain EWMA with ``half_life``, so the fit does the same work as mini's
    regression + EWMA F + EWMA specific risk.
    """
    if not np.isfinite(half_life) or half_life <= 0:
        raise ValueError(f"half-life must be a positive number of periods, got {half_life}")
    _skfolio()
    from skfolio.descriptor import Passthrough
    from skfolio.factor_exposure import FixedWeightedFactor, GlobalFactor, OneHotCategoricalFactors
    from skfolio.moments import EWCovariance, EWVariance
    from skfolio.prior import CharacteristicsFactorModel, EmpiricalPrior

    factors: list[tuple[str, Any]] = [
        (MARKET, GlobalFactor()),
        ("industry", OneHotCategoricalFactors(category="industry", family="industry")),
    ]
    for style in STYLES:
        factors.append(
            (
                style,
                FixedWeightedFactor(
                    descriptors=[(style.lower(), Passthrough(style.lower()))],
                    outlier_transformer="passthrough",
                    scoring_transformer="passthrough",
                ),
            )
        )
    return CharacteristicsFactorModel(
        factors=factors,
        constrained_families=[("industry", market.industries[-1])],
        regression_mcap_power=0.5,
        benchmark_mcap_power=1.0,
        min_regression_assets=len(market.factors),
        factor_prior_estimator=EmpiricalPrior(
            covariance_estimator=EWCovariance(half_life=half_life, min_observations=1)
        ),
        idio_variance_estimator=EWVariance(half_life=half_life, min_observations=1),
    )


def skfolio_factor_returns(market: SimulatedMarket, model: Any | None = None) -> pd.DataFrame:
    """Factor returns from skfolio, labelled and ordered like mini's (T × K).

    Fits ``model`` (by default :func:`skfolio_model`) on :func:`skfolio_panel`;
    skfolio names each industry factor by its level, so the labels match mini's.
    """
    if not isinstance(market, SimulatedMarket):
        raise ValueError(f"market must be a SimulatedMarket, got {type(market).__name__}")
    model = skfolio_model(market) if model is None else model
    model.fit(characteristics=skfolio_panel(market))
    fitted = model.factor_model_.factor_returns_df
    _checks.same_labels(market.factors, fitted.columns, "factors", "skfolio factor returns")
    if len(fitted) != len(market.periods):
        raise ValueError(f"skfolio returned {len(fitted)} periods for a market of {len(market.periods)}")
    return pd.DataFrame(fitted[list(market.factors)].to_numpy(), index=market.periods, columns=market.factors)
