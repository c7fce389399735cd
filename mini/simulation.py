r"""A simulated stock market with a known factor structure.

Real data cannot be downloaded while the book builds, and with real data nobody knows
the true factor covariance anyway. A simulated market fixes the truth in advance, so a
chapter can run an estimator and compare its answer with the right one.

Each period t, stock returns follow the factor model exactly:

.. math:: r_t = X_t f_t + \varepsilon_t ,

with

* exposures :math:`X_t` to a market factor, one industry per stock (industries of
  unequal size), and three styles (VALUE, MOM, SIZE). The style descriptors drift
  slowly (AR(1) processes; SIZE is log capitalisation) and are standardised every
  period like :func:`mini.exposures.standardise`: cap-weighted mean 0, equal-weighted
  standard deviation 1;
* factor returns :math:`f_t \sim N(\mu, F_{s_t})` whose covariance depends on a hidden
  regime :math:`s_t \in \{\text{calm}, \text{crisis}\}` that follows a two-state
  Markov chain (in a crisis every volatility is multiplied by ``crisis_multiplier``);
  industry returns are expressed so that their cap-weighted sum is zero, the same
  convention the cross-sectional regression uses, so estimates and truth are
  comparable;
* specific returns :math:`\varepsilon_{it}` that are Student-t (fat-tailed) with
  heterogeneous volatilities, larger for smaller companies;
* log-normal market caps that grow with each stock's return.

Optional features (all off by default, so a market simulated without them is the same,
draw for draw, as before they existed; the extra draws come from a second generator
seeded from ``seed``):

* ``factor_tail_dof``: Student-t factor shocks with that many degrees of freedom,
  rescaled to unit variance, :math:`u = z \sqrt{(\nu - 2)/\chi^2_\nu}` (excess
  kurtosis :math:`6/(\nu - 4)` for :math:`\nu > 4`);
* ``factor_autocorrelation`` φ: the factor shocks follow an AR(1),
  :math:`u_t = \phi u_{t-1} + \sqrt{1-\phi^2}\, e_t`, so each period's covariance is
  unchanged but the variance of an h-period sum is
  :math:`F \,[h + 2\sum_{l=1}^{h-1} (h-l)\phi^l]` instead of :math:`hF` (see
  :meth:`SimulatedMarket.horizon_factor_cov`);
* ``specific_crisis_multiplier``: specific volatilities are multiplied by it in crisis
  periods (the same regime chain as the factors);
* ``specific_industry_spread`` s: each industry's specific volatilities are multiplied by
  :math:`e^{s z_j}`, :math:`z_j \sim N(0, 1)`, on top of the size effect and the
  stock-level log-normal dispersion;
* ``specific_vol_drift`` d: log specific volatility drifts as a stationary AR(1) with
  standard deviation d (monthly persistence 0.97), so specific risk changes over time;
* ``beta_dispersion`` b: the market exposure of stock i is :math:`1 + b z_i`,
  :math:`z_i \sim N(0, 1)` fixed over time, instead of 1 for every stock (true betas
  to the market then spread about as much as real ones do, for b near 0.25).

The true specific volatility of every stock in every period is in
``specific_vol_path`` (annualised); ``specific_vol`` is its base level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mini import _checks
from mini.constraints import industry_constraint, industry_restrictions, restriction_matrix
from mini.regression import PanelFit, panel_regression
from mini.risk_model import RiskModel

INDUSTRY_POOL = [
    "ENERGY",
    "MATERIALS",
    "INDUSTRIALS",
    "CONSUMER",
    "HEALTH",
    "FINANCIALS",
    "TECH",
    "TELECOM",
    "UTILITIES",
    "REALESTATE",
    "STAPLES",
    "MEDIA",
]
STYLES = ["VALUE", "MOM", "SIZE"]
MARKET = "MKT"
REGIMES = ("calm", "crisis")


@dataclass(frozen=True)
class SimulatedMarket:
    """A simulated panel and the truth behind it.

    ``exposures`` is a (T, N, K) array in the order of ``periods``, ``stocks`` and
    ``factors``; ``caps`` are start-of-period caps. ``true_factor_cov`` holds one K × K
    covariance per period (per-period units, not annualised) because the industry
    convention depends on that period's industry weights and the regime on the chain.
    """

    returns: pd.DataFrame
    caps: pd.DataFrame
    industry: pd.Series
    exposures: np.ndarray
    factor_returns: pd.DataFrame
    true_factor_cov: np.ndarray
    regime_factor_cov: np.ndarray
    specific_vol: pd.Series
    regime: pd.Series
    periods_per_year: int
    specific_vol_path: np.ndarray | None = None  # (T, N), annualised; None means specific_vol throughout
    factor_autocorrelation: float = 0.0

    @property
    def periods(self) -> pd.Index:
        return self.returns.index

    @property
    def stocks(self) -> pd.Index:
        return self.returns.columns

    @property
    def factors(self) -> pd.Index:
        return self.factor_returns.columns

    @property
    def industries(self) -> list[str]:
        return [name for name in self.factors if name != MARKET and name not in STYLES]

    def exposures_at(self, t: int) -> pd.DataFrame:
        """Exposure matrix of period ``t`` (an integer position) as a labelled frame."""
        return pd.DataFrame(self.exposures[t], index=self.stocks, columns=self.factors)

    def factor_cov_at(self, t: int) -> pd.DataFrame:
        """True per-period factor covariance in period ``t``."""
        return pd.DataFrame(self.true_factor_cov[t], index=self.factors, columns=self.factors)

    def industry_weights(self) -> pd.DataFrame:
        """Cap weight of each industry in every period (T × industries)."""
        caps = self.caps.to_numpy()
        # one hashed look-up per stock, rather than comparing every name with every industry
        codes = pd.Index(self.industries).get_indexer(self.industry)
        if (codes < 0).any():
            raise ValueError(f"stocks in unknown industries: {sorted(set(self.industry[codes < 0]))}")
        members = np.eye(len(self.industries))[codes]
        weights = (caps @ members) / caps.sum(axis=1, keepdims=True)
        return pd.DataFrame(weights, index=self.periods, columns=pd.Index(self.industries, name="industry"))

    def restriction_at(self, t: int) -> pd.DataFrame:
        """The restriction matrix R of period ``t`` (cap-weighted industries sum to zero)."""
        constraint = industry_constraint(self.industry_weights().iloc[t], list(self.factors))
        return restriction_matrix(constraint, eliminate=[self.industries[-1]])

    def true_risk_model(self, t: int) -> RiskModel:
        """The risk model that generated period ``t``, in annualised units."""
        state = REGIMES.index(self.regime.iloc[t])
        cov = pd.DataFrame(self.regime_factor_cov[state], index=self.factors, columns=self.factors)
        return RiskModel(
            exposures=self.exposures_at(t),
            factor_cov=cov * self.periods_per_year,
            specific_var=self.specific_vol_at(t) ** 2,
        )

    def specific_vol_at(self, t: int) -> pd.Series:
        """True annualised specific volatility of every stock in period ``t`` (an integer position)."""
        if self.specific_vol_path is None:
            return self.specific_vol
        return pd.Series(self.specific_vol_path[t], index=self.stocks, name="specific vol")

    def horizon_factor_cov(self, t: int, horizon: int) -> pd.DataFrame:
        r"""True covariance of the sum of ``horizon`` factor returns starting in period ``t``,
        holding period t's covariance F fixed:

        .. math:: \operatorname{Cov}\Big(\sum_{s=1}^{h} f_s\Big)
           = F \Big[h + 2 \sum_{l=1}^{h-1} (h - l)\, \phi^{l}\Big]

        with φ the autocorrelation of the factor shocks (zero by default: h F).
        """
        if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
            raise ValueError(f"horizon must be a positive integer number of periods, got {horizon!r}")
        phi = self.factor_autocorrelation
        lags = np.arange(1, horizon)
        multiplier = horizon + 2.0 * float(np.sum((horizon - lags) * phi**lags))
        return self.factor_cov_at(t) * multiplier


def _standardise_panel(descriptors: np.ndarray, cap_weights: np.ndarray) -> np.ndarray:
    """Vectorised :func:`mini.exposures.standardise` over periods: (T, N) -> (T, N)."""
    centre = np.sum(descriptors * cap_weights, axis=1, keepdims=True)
    spread = descriptors.std(axis=1, ddof=0, keepdims=True)
    return (descriptors - centre) / spread


def _ar1_paths(rng: np.random.Generator, n_periods: int, n_stocks: int, persistence: float) -> np.ndarray:
    """Unit-variance AR(1) paths, one per stock: slowly drifting characteristics."""
    return _ar1_filter(rng.standard_normal((n_periods, n_stocks)), persistence)


def _regime_path(rng: np.random.Generator, n_periods: int, p_enter: float, p_leave: float) -> np.ndarray:
    """A two-state Markov chain (0 calm, 1 crisis), started calm."""
    draws = rng.random(n_periods)
    states = np.zeros(n_periods, dtype=int)
    for t in range(1, n_periods):
        leave = p_leave if states[t - 1] else p_enter
        states[t] = 1 - states[t - 1] if draws[t] < leave else states[t - 1]
    return states


def _factor_correlation(rng: np.random.Generator, n_factors: int) -> np.ndarray:
    """A random, well-conditioned correlation matrix with modest correlations."""
    loadings = rng.normal(0.0, 0.35, (n_factors, 2))
    cov = loadings @ loadings.T + np.eye(n_factors)
    vol = np.sqrt(np.diag(cov))
    return cov / np.outer(vol, vol)


def simulate_market(
    n_stocks: int = 500,
    n_periods: int = 120,
    n_industries: int = 8,
    frequency: str = "monthly",
    seed: int = 0,
    crisis_multiplier: float = 2.0,
    crisis_entry: float = 0.03,
    crisis_exit: float = 0.2,
    market_premium: float = 0.06,
    tail_dof: float = 5.0,
    *,
    factor_tail_dof: float | None = None,
    factor_autocorrelation: float = 0.0,
    specific_crisis_multiplier: float = 1.0,
    specific_industry_spread: float = 0.0,
    specific_vol_drift: float = 0.0,
    beta_dispersion: float = 0.0,
) -> SimulatedMarket:
    """Simulate ``n_periods`` of returns for ``n_stocks`` (see the module docstring).

    ``frequency`` is "monthly" (12 periods a year) or "daily" (252). Volatilities,
    the market premium and the regime transition probabilities (``crisis_entry``,
    ``crisis_exit``) are stated per year and per month respectively and rescaled to the
    period length. The same ``seed`` always gives the same market. The keyword-only
    options (fat-tailed and serially correlated factor shocks, specific-risk regimes,
    industry effects and drift, dispersed market betas) are described in the module
    docstring; each is off at its default.
    """
    per_year = {"monthly": 12, "daily": 252}.get(frequency)
    if per_year is None:
        raise ValueError(f"frequency must be 'monthly' or 'daily', got {frequency!r}")
    if not 2 <= n_industries <= len(INDUSTRY_POOL):
        raise ValueError(f"n_industries must be between 2 and {len(INDUSTRY_POOL)}, got {n_industries}")
    if n_stocks < 5 * n_industries:
        raise ValueError(
            f"need at least five stocks per industry: {n_stocks} stocks for {n_industries} industries"
        )
    if n_periods < 2:
        raise ValueError(f"need at least two periods, got {n_periods}")
    if crisis_multiplier < 1 or not (0 < crisis_entry < 1 and 0 < crisis_exit < 1) or tail_dof <= 2:
        raise ValueError("crisis_multiplier must be >= 1, transition probabilities in (0, 1), tail_dof > 2")

    _check_options(
        factor_tail_dof,
        factor_autocorrelation,
        specific_crisis_multiplier,
        specific_industry_spread,
        specific_vol_drift,
        beta_dispersion,
    )
    extra = np.random.default_rng([seed, 1])  # draws for the optional features only
    rng = np.random.default_rng(seed)
    industries = INDUSTRY_POOL[:n_industries]
    factors = [MARKET, *industries, *STYLES]
    n_factors = len(factors)
    market_col, style_cols = 0, slice(1 + n_industries, n_factors)

    # Industries of unequal size: Dirichlet shares, at least five members each.
    shares = rng.dirichlet(np.full(n_industries, 2.0))
    counts = 5 + rng.multinomial(n_stocks - 5 * n_industries, shares)
    membership = rng.permutation(np.repeat(np.arange(n_industries), counts))

    # Caps: log-normal, in $bn; specific vols fall with size (small caps are noisier).
    start_caps = rng.lognormal(mean=np.log(5.0), sigma=1.3, size=n_stocks)
    size_rank = np.log(start_caps / np.median(start_caps))
    annual_spec_vol = np.clip(0.28 * np.exp(-0.12 * size_rank) * rng.lognormal(0, 0.2, n_stocks), 0.10, 0.80)

    # Factor covariance: annual vols, a random correlation, and a crisis regime.
    annual_vol = np.concatenate([[0.16], rng.uniform(0.05, 0.10, n_industries), [0.04, 0.06, 0.03]])
    correlation = _factor_correlation(rng, n_factors)
    calm_cov = np.outer(annual_vol, annual_vol) * correlation / per_year
    months_per_period = 12 / per_year  # monthly transition probabilities scaled to the period
    regimes = _regime_path(rng, n_periods, crisis_entry * months_per_period, crisis_exit * months_per_period)
    regime_cov = np.stack([calm_cov, calm_cov * crisis_multiplier**2])

    # Draw raw factor returns, then move the cap-weighted industry average into MKT.
    mean = np.zeros(n_factors)
    mean[market_col] = market_premium / per_year
    chol = np.linalg.cholesky(regime_cov)
    shocks = rng.standard_normal((n_periods, n_factors))
    if factor_tail_dof is not None:  # Student t with unit variance: z sqrt((nu - 2) / chi2_nu)
        shocks = shocks * np.sqrt((factor_tail_dof - 2.0) / extra.chisquare(factor_tail_dof, shocks.shape))
    if factor_autocorrelation:
        shocks = _ar1_filter(shocks, factor_autocorrelation)
    raw = mean + np.einsum("tkl,tl->tk", chol[regimes], shocks)

    # Specific returns: Student-t scaled to unit variance, then to each stock's vol.
    t_draws = rng.standard_t(tail_dof, (n_periods, n_stocks)) / np.sqrt(tail_dof / (tail_dof - 2))
    if specific_industry_spread:
        industry_effect = np.exp(specific_industry_spread * extra.standard_normal(n_industries))
        annual_spec_vol = np.clip(annual_spec_vol * industry_effect[membership], 0.05, 1.2)
    spec_path = np.broadcast_to(annual_spec_vol, (n_periods, n_stocks))
    if specific_vol_drift:
        drift = _ar1_paths(extra, n_periods, n_stocks, persistence=0.97 ** (12 / per_year))
        spec_path = spec_path * np.exp(specific_vol_drift * drift)
    if specific_crisis_multiplier != 1.0:
        spec_path = spec_path * np.where(regimes == 1, specific_crisis_multiplier, 1.0)[:, None]
    specific = t_draws * spec_path / np.sqrt(per_year)

    value = _ar1_paths(rng, n_periods, n_stocks, persistence=0.995 ** (12 / per_year))
    momentum = _ar1_paths(rng, n_periods, n_stocks, persistence=0.90 ** (12 / per_year))

    caps = np.empty((n_periods, n_stocks))
    exposures = np.zeros((n_periods, n_stocks, n_factors))
    factor_returns = np.empty((n_periods, n_factors))
    true_cov = np.empty((n_periods, n_factors, n_factors))
    returns = np.empty((n_periods, n_stocks))
    dummies = np.eye(n_industries)[membership]
    exposures[:, :, market_col] = 1.0
    if beta_dispersion:
        exposures[:, :, market_col] = 1.0 + beta_dispersion * extra.standard_normal(n_stocks)
    exposures[:, :, 1 : 1 + n_industries] = dummies
    cap = start_caps
    for t in range(n_periods):  # caps at t depend on returns up to t - 1
        caps[t] = cap
        weights = cap / cap.sum()
        descriptors = np.stack([value[t], momentum[t], np.log(cap)])
        exposures[t, :, style_cols] = _standardise_panel(descriptors, weights[None, :]).T
        industry_weight = dummies.T @ weights
        # f_constrained = A f_raw: industries minus their cap-weighted mean; MKT plus it.
        convention = np.eye(n_factors)
        convention[1 : 1 + n_industries, 1 : 1 + n_industries] -= industry_weight[None, :]
        convention[market_col, 1 : 1 + n_industries] += industry_weight
        factor_returns[t] = convention @ raw[t]
        true_cov[t] = convention @ regime_cov[regimes[t]] @ convention.T
        returns[t] = exposures[t] @ factor_returns[t] + specific[t]
        cap = cap * np.maximum(1.0 + returns[t], 0.05)

    step = "MS" if per_year == 12 else "B"
    periods = pd.date_range("2010-01-01", periods=n_periods, freq=step, name="period")
    stocks = pd.Index([f"S{i:04d}" for i in range(n_stocks)], name="stock")
    factor_index = pd.Index(factors, name="factor")
    return SimulatedMarket(
        returns=pd.DataFrame(returns, index=periods, columns=stocks),
        caps=pd.DataFrame(caps, index=periods, columns=stocks),
        industry=pd.Series(np.array(industries)[membership], index=stocks, name="industry"),
        exposures=exposures,
        factor_returns=pd.DataFrame(factor_returns, index=periods, columns=factor_index),
        true_factor_cov=true_cov,
        regime_factor_cov=regime_cov,
        specific_vol=pd.Series(annual_spec_vol, index=stocks, name="specific vol"),
        regime=pd.Series(np.array(REGIMES)[regimes], index=periods, name="regime"),
        periods_per_year=per_year,
        specific_vol_path=np.array(spec_path),
        factor_autocorrelation=float(factor_autocorrelation),
    )


def _check_options(
    factor_tail_dof: float | None,
    factor_autocorrelation: float,
    specific_crisis_multiplier: float,
    specific_industry_spread: float,
    specific_vol_drift: float,
    beta_dispersion: float,
) -> None:
    """Refuse optional-feature settings that describe no market."""
    if factor_tail_dof is not None and not (np.isfinite(factor_tail_dof) and factor_tail_dof > 2):
        raise ValueError(f"factor_tail_dof must exceed 2 (finite variance) or be None, got {factor_tail_dof}")
    if not -1 < factor_autocorrelation < 1:
        raise ValueError(f"factor_autocorrelation must lie in (-1, 1), got {factor_autocorrelation}")
    if not (np.isfinite(specific_crisis_multiplier) and specific_crisis_multiplier > 0):
        raise ValueError(f"specific_crisis_multiplier must be positive, got {specific_crisis_multiplier}")
    for name, value in (
        ("specific_industry_spread", specific_industry_spread),
        ("specific_vol_drift", specific_vol_drift),
        ("beta_dispersion", beta_dispersion),
    ):
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a non-negative number, got {value}")


def _ar1_filter(shocks: np.ndarray, persistence: float) -> np.ndarray:
    """Turn unit-variance shocks e_t into a unit-variance AR(1), u_t = φ u_{t-1} + √(1-φ²) e_t."""
    paths = np.empty_like(shocks)
    paths[0] = shocks[0]
    innovation = np.sqrt(1.0 - persistence**2)
    for t in range(1, len(shocks)):  # a recursion in time: each period needs the last
        paths[t] = persistence * paths[t - 1] + innovation * shocks[t]
    return paths


def fit_cross_sections(
    market: SimulatedMarket, drop: Sequence[str] = (), extra: dict[str, np.ndarray] | None = None
) -> PanelFit:
    """Run the book's regression (√cap weights, cap-weighted industries sum to zero) in every period.

    ``drop`` names style factors to leave out of the model, to study a misspecified
    model (the returns still contain them); the market and industries must stay.
    ``extra`` adds candidate factors: name -> (T, N) exposures, appended after the styles.
    """
    drop = _checks.known_labels(drop, market.factors, "factor")
    protected = [name for name in drop if name not in STYLES]
    if protected:
        raise ValueError(f"only style factors can be dropped, not {protected}")
    keep = [k for k, name in enumerate(market.factors) if name not in drop]
    names = [market.factors[k] for k in keep]
    # A full model reuses the exposure array as it is: the daily panel is large to copy.
    exposures = market.exposures if len(keep) == len(market.factors) else market.exposures[:, :, keep]
    for name, values in (extra or {}).items():
        values = _checks.finite_array(values, f"exposures of {name!r}", ndim=2)
        if values.shape != market.returns.shape or name in names:
            raise ValueError(
                f"extra factor {name!r} needs a new name and (periods, stocks) exposures {market.returns.shape}"
            )
        exposures = np.concatenate([exposures, values[:, :, None]], axis=2)
        names.append(name)
    columns = [names.index(name) for name in market.industries]
    restrictions = industry_restrictions(market.industry_weights().to_numpy(), columns, len(names))
    root_cap = np.sqrt(market.caps)
    return panel_regression(exposures, market.returns, root_cap, restrictions, names)


COUNTRY_POOL = ["US", "JP", "UK", "EU", "CH", "CA"]
CURRENCY_OF = {"US": "USD", "JP": "JPY", "UK": "GBP", "EU": "EUR", "CH": "CHF", "CA": "CAD"}


@dataclass(frozen=True)
class GlobalMarket:
    r"""A simulated multi-country market: world, country and industry factors, and currencies.

    ``returns`` are local-currency returns (T × N); ``caps`` are market caps in the base
    currency (constant over time); ``currency_returns`` (T × currencies) are the
    returns of holding each currency, measured in the base currency (zero for the base
    currency itself). ``factor_returns`` are the true factor returns, expressed so that
    the cap-weighted country returns and the cap-weighted industry returns each sum to
    zero (so WORLD carries the cap-weighted market's move).
    """

    returns: pd.DataFrame
    caps: pd.Series
    country: pd.Series
    industry: pd.Series
    factor_returns: pd.DataFrame
    currency_returns: pd.DataFrame
    base_currency: str

    @property
    def countries(self) -> list[str]:
        return [name for name in COUNTRY_POOL if name in set(self.country)]

    @property
    def industries(self) -> list[str]:
        return [name for name in INDUSTRY_POOL if name in set(self.industry)]

    @property
    def currency(self) -> pd.Series:
        """Each stock's currency."""
        return self.country.map(CURRENCY_OF).rename("currency")


def simulate_global_market(
    n_stocks: int = 600,
    n_periods: int = 60,
    n_countries: int = 4,
    n_industries: int = 6,
    seed: int = 0,
) -> GlobalMarket:
    r"""Simulate monthly local-currency returns :math:`r = f_{W} + f_{c(i)} + f_{j(i)} + \varepsilon_i`.

    Stocks are spread over ``n_countries`` countries (the first, US, the largest; the
    base currency is USD) and ``n_industries`` industries independently. Monthly
    volatilities: world 4.5%, countries 3%, industries 2.5%, specific 8%; currencies
    against the dollar 2.5%. Country and industry returns are re-expressed so that each
    set's cap-weighted sum is zero, the convention the regression imposes.
    """
    if not 2 <= n_countries <= len(COUNTRY_POOL) or not 2 <= n_industries <= len(INDUSTRY_POOL):
        raise ValueError(f"need 2..{len(COUNTRY_POOL)} countries and 2..{len(INDUSTRY_POOL)} industries")
    if n_stocks < 5 * n_countries * n_industries or n_periods < 2:
        raise ValueError("need at least 5 × countries × industries stocks and two periods")
    rng = np.random.default_rng(seed)
    countries, industries = COUNTRY_POOL[:n_countries], INDUSTRY_POOL[:n_industries]
    country_share = np.linspace(2.0, 1.0, n_countries)
    country_codes = rng.choice(n_countries, n_stocks, p=country_share / country_share.sum())
    country_codes[: n_countries * 5] = np.repeat(np.arange(n_countries), 5)
    industry_codes = rng.integers(0, n_industries, n_stocks)
    industry_codes[: n_industries * 5] = np.tile(np.arange(n_industries), 5)[: n_industries * 5]
    caps = rng.lognormal(np.log(5.0), 1.2, n_stocks)
    weights = caps / caps.sum()
    country_weight = np.bincount(country_codes, weights=weights, minlength=n_countries)
    industry_weight = np.bincount(industry_codes, weights=weights, minlength=n_industries)

    raw_world = 0.006 + 0.045 * rng.standard_normal(n_periods)
    raw_country = 0.03 * rng.standard_normal((n_periods, n_countries))
    raw_industry = 0.025 * rng.standard_normal((n_periods, n_industries))
    country_mean = raw_country @ country_weight
    industry_mean = raw_industry @ industry_weight
    world = raw_world + country_mean + industry_mean
    country_f = raw_country - country_mean[:, None]
    industry_f = raw_industry - industry_mean[:, None]
    specific = 0.08 * rng.standard_normal((n_periods, n_stocks))
    returns = world[:, None] + country_f[:, country_codes] + industry_f[:, industry_codes] + specific

    currencies = [CURRENCY_OF[name] for name in countries]
    fx = 0.025 * rng.standard_normal((n_periods, n_countries))
    fx[:, 0] = 0.0  # the base currency (USD) does not move against itself

    periods = pd.date_range("2015-01-01", periods=n_periods, freq="MS", name="period")
    stocks = pd.Index([f"G{i:04d}" for i in range(n_stocks)], name="stock")
    factors = pd.Index(["WORLD", *countries, *industries], name="factor")
    return GlobalMarket(
        returns=pd.DataFrame(returns, index=periods, columns=stocks),
        caps=pd.Series(caps, index=stocks, name="cap"),
        country=pd.Series(np.array(countries)[country_codes], index=stocks, name="country"),
        industry=pd.Series(np.array(industries)[industry_codes], index=stocks, name="industry"),
        factor_returns=pd.DataFrame(
            np.column_stack([world, country_f, industry_f]), index=periods, columns=factors
        ),
        currency_returns=pd.DataFrame(fx, index=periods, columns=pd.Index(currencies, name="currency")),
        base_currency="USD",
    )
