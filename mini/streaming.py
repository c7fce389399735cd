r"""The estimation pipeline on a panel too large for memory: stream blocks of periods from disk.

A panel of N stocks over T periods with S styles and J industries is stored in a folder
as NumPy ``.npy`` files (memory-mapped when read), one row per period so that a block of
periods is one contiguous slice:

* ``returns.npy`` and ``caps.npy``: (T, N) float32, decimal returns over the period and
  start-of-period market caps;
* ``industry.npy``: (T, N) int16, each stock's industry code in [0, J) (codes may change
  over time: a reclassification is a new code from that period on);
* ``styles.npy``: (T, S, N) float32, standardised style exposures at the start of the period
  (each period's S styles as rows of N stocks, the layout :mod:`mini.engine` computes with);
* ``meta.json``: the industry and style names and the number of periods per year.

Storage is float32 to halve the disk and the reading; every computation is done in
float64 after a block is read. :func:`stream_estimation` reads one block of periods at a
time (the next block is read while the current one is computed), so its memory is set
by the block size, not by T. Per block it runs the book's regression
(:func:`mini.engine.structured_regression`, equal to
:func:`mini.regression.cross_sectional_regression` period by period) and updates running
sums: the EWMA specific variance :math:`\hat\delta_i = \sum_s w_s e_{i,T-s}^2` and the
per-stock bias statistics of one-step-ahead EWMA specific-risk forecasts. The factor
returns (T × K, small) are kept, and at the end the factor covariance and the factor bias
statistics are computed from them with the readable functions of
:mod:`mini.covariance` and :mod:`mini.evaluation`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mini.covariance import (
    decay_from_half_life,
    eigenvalue_floor,
    ewma_covariance,
    ewma_variance_forecasts,
    newey_west_covariance,
)
from mini.engine import industry_cap_weights, structured_regression
from mini.evaluation import bias_statistic

MARKET = "MKT"


@dataclass(frozen=True)
class PanelShape:
    """Sizes and names of a stored panel."""

    n_periods: int
    n_stocks: int
    industries: list[str]
    styles: list[str]
    periods_per_year: int

    @property
    def factors(self) -> list[str]:
        """Factor order of every result: market, industries, styles."""
        return [MARKET, *self.industries, *self.styles]


@dataclass(frozen=True)
class PanelBlock:
    """Periods ``start`` to ``start + len - 1`` of a stored panel, in float64 (codes as integers)."""

    start: int
    returns: np.ndarray
    caps: np.ndarray
    codes: np.ndarray
    styles: np.ndarray


def _factor_vols(rng: np.random.Generator, n_industries: int, n_styles: int) -> np.ndarray:
    """Annual factor volatilities: market 16%, industries 5–10%, styles 2–6%."""
    return np.concatenate([[0.16], rng.uniform(0.05, 0.10, n_industries), rng.uniform(0.02, 0.06, n_styles)])


def write_simulated_panel(
    folder: str | Path,
    n_stocks: int,
    n_periods: int,
    n_industries: int,
    n_styles: int,
    seed: int = 0,
    periods_per_year: int = 252,
    block_periods: int = 64,
) -> PanelShape:
    r"""Simulate a panel that follows :math:`r_t = X_t f_t + \varepsilon_t` and store it in ``folder``.

    Generated and written block by block (memory about ``block_periods`` × N × S floats),
    with a seeded generator, so any T fits. Exposures: market, one industry per stock
    (Dirichlet-sized industries of at least five stocks), and S styles: SIZE (log cap)
    and S − 1 AR(1) characteristics, standardised every period (cap-weighted mean 0,
    equal-weighted standard deviation 1). Factor returns are normal with a random
    correlation, industry returns re-expressed so that their cap-weighted sum is zero;
    specific returns are Student-t (5 degrees of freedom), more volatile for small
    stocks; caps grow with returns.
    """
    if n_styles < 1 or n_industries < 2:
        raise ValueError("need at least one style and two industries")
    if n_stocks < 5 * n_industries:
        raise ValueError(f"need at least five stocks per industry: {n_stocks} for {n_industries} industries")
    if n_periods < 2 or block_periods < 1:
        raise ValueError("need at least two periods and a positive block size")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    k = 1 + n_industries + n_styles
    industries = [f"IND{j:02d}" for j in range(n_industries)]
    styles = ["SIZE", *[f"STYLE{s:02d}" for s in range(1, n_styles)]]

    counts = 5 + rng.multinomial(n_stocks - 5 * n_industries, rng.dirichlet(np.full(n_industries, 2.0)))
    codes = rng.permutation(np.repeat(np.arange(n_industries), counts)).astype(np.int16)
    cap = rng.lognormal(np.log(5.0), 1.3, n_stocks)
    spec_vol = np.clip(0.28 * (cap / np.median(cap)) ** -0.12 * rng.lognormal(0, 0.2, n_stocks), 0.1, 0.8)
    spec_vol /= np.sqrt(periods_per_year)
    loadings = rng.normal(0.0, 0.35, (k, 2))
    corr = loadings @ loadings.T + np.eye(k)
    corr /= np.sqrt(np.outer(np.diag(corr), np.diag(corr)))
    vols = _factor_vols(rng, n_industries, n_styles) / np.sqrt(periods_per_year)
    chol = np.linalg.cholesky(corr * np.outer(vols, vols))
    persistence = 0.995 ** (12 / periods_per_year)
    state = rng.standard_normal((n_stocks, max(n_styles - 1, 0)))
    one_hot = np.eye(n_industries)[codes]
    tdof = 5.0

    files = {
        "returns": ((n_periods, n_stocks), np.float32),
        "caps": ((n_periods, n_stocks), np.float32),
        "industry": ((n_periods, n_stocks), np.int16),
        "styles": ((n_periods, n_styles, n_stocks), np.float32),
    }
    offsets = {}
    for name, (shape, dtype) in files.items():  # headers and sparse files; filled below
        array = np.lib.format.open_memmap(folder / f"{name}.npy", mode="w+", dtype=dtype, shape=shape)
        offsets[name] = array.offset
        del array
    handles = {name: open(folder / f"{name}.npy", "r+b") for name in files}  # noqa: SIM115
    try:
        for start in range(0, n_periods, block_periods):
            stop = min(start + block_periods, n_periods)
            size = stop - start
            shocks = rng.standard_normal((size, n_stocks, max(n_styles - 1, 0)), dtype=np.float32)
            raw_f = rng.standard_normal((size, k)) @ chol.T
            specific = rng.standard_t(tdof, (size, n_stocks)) * np.sqrt((tdof - 2) / tdof) * spec_vol
            block = {
                "returns": np.empty((size, n_stocks), np.float32),
                "caps": np.empty((size, n_stocks), np.float32),
                "industry": np.broadcast_to(codes, (size, n_stocks)),
                "styles": np.empty((size, n_styles, n_stocks), np.float32),
            }
            for t in range(size):  # a recursion in time: caps and characteristics need the last period
                state = persistence * state + np.sqrt(1 - persistence**2) * shocks[t]
                weights = cap / cap.sum()
                descriptors = np.column_stack([np.log(cap), state])
                centred = descriptors - weights @ descriptors
                exposure = centred / descriptors.std(axis=0)
                pi = weights @ one_hot
                f = raw_f[t].copy()
                f[0] += pi @ f[1 : 1 + n_industries]
                f[1 : 1 + n_industries] -= pi @ f[1 : 1 + n_industries]
                r = f[0] + f[1 + codes] + exposure @ f[1 + n_industries :] + specific[t]
                block["returns"][t] = r
                block["caps"][t] = cap
                block["styles"][t] = exposure.T
                cap = cap * np.maximum(1.0 + r, 0.05)
            for name, values in block.items():
                row_bytes = int(np.prod(files[name][0][1:])) * np.dtype(files[name][1]).itemsize
                handles[name].seek(offsets[name] + start * row_bytes)
                handles[name].write(np.ascontiguousarray(values, dtype=files[name][1]).tobytes())
    finally:
        for handle in handles.values():
            handle.close()
    shape = PanelShape(n_periods, n_stocks, industries, styles, periods_per_year)
    (folder / "meta.json").write_text(
        json.dumps({"industries": industries, "styles": styles, "periods_per_year": periods_per_year})
    )
    return shape


def panel_shape(folder: str | Path) -> PanelShape:
    """Sizes and names of the panel stored in ``folder``."""
    folder = Path(folder)
    meta_path = folder / "meta.json"
    if not meta_path.exists():
        raise ValueError(f"{folder} holds no stored panel (meta.json is missing)")
    meta = json.loads(meta_path.read_text())
    returns = np.load(folder / "returns.npy", mmap_mode="r")
    shape = PanelShape(
        returns.shape[0], returns.shape[1], meta["industries"], meta["styles"], meta["periods_per_year"]
    )
    del returns
    return shape


def read_block(folder: str | Path, start: int, stop: int) -> PanelBlock:
    """Periods [start, stop) of the stored panel, converted to float64.

    Each file is memory-mapped only while its slice is copied out, so the mapped pages
    do not accumulate in the process's resident memory as the stream moves on.
    """
    folder = Path(folder)
    arrays = {}
    for name in ("returns", "caps", "industry", "styles"):
        mapped = np.load(folder / f"{name}.npy", mmap_mode="r")
        if not 0 <= start < stop <= mapped.shape[0]:
            raise ValueError(f"block [{start}, {stop}) is outside the panel's {mapped.shape[0]} periods")
        dtype = np.intp if name == "industry" else np.float64
        arrays[name] = np.array(mapped[start:stop], dtype=dtype)
        del mapped
    return PanelBlock(start, arrays["returns"], arrays["caps"], arrays["industry"], arrays["styles"])


def iter_blocks(folder: str | Path, block_periods: int) -> Iterator[PanelBlock]:
    """Consecutive blocks of ``block_periods`` periods; the next is read while the caller works."""
    if block_periods < 1:
        raise ValueError(f"block size must be a positive number of periods, got {block_periods}")
    n_periods = panel_shape(folder).n_periods
    starts = list(range(0, n_periods, block_periods))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mini-reader") as reader:
        pending = reader.submit(read_block, folder, 0, min(block_periods, n_periods))
        for start in starts:
            block = pending.result()
            following = start + block_periods
            if following < n_periods:
                pending = reader.submit(
                    read_block, folder, following, min(following + block_periods, n_periods)
                )
            yield block


@dataclass(frozen=True)
class StreamResult:
    """What :func:`stream_estimation` estimates (per-period units, not annualised).

    ``factor_cov`` is the EWMA F (correlation and volatility half-lives);
    ``factor_cov_nw`` the Newey–West EWMA F with its eigenvalues floored; ``factor_bias``
    and ``specific_bias`` are bias statistics of one-step-ahead EWMA forecasts, per
    factor and per stock; ``residuals`` is kept only on request (small panels, tests).
    """

    factor_returns: pd.DataFrame
    t_stats: pd.DataFrame
    r2_centred: pd.Series
    factor_cov: pd.DataFrame
    factor_cov_nw: pd.DataFrame
    specific_var: pd.Series
    factor_bias: pd.Series
    specific_bias: pd.Series
    residuals: pd.DataFrame | None


def stream_estimation(
    folder: str | Path,
    half_life: float,
    vol_half_life: float,
    warmup: int,
    block_periods: int = 64,
    newey_west_lags: int = 2,
    keep_residuals: bool = False,
) -> StreamResult:
    r"""The whole estimation pipeline over a stored panel, one block of periods at a time.

    Per period: the regression (√cap weights, cap-weighted industries sum to zero). Over
    time: EWMA specific variances with ``half_life``,
    :math:`\hat\delta_i = \sum_s \lambda^s e_{i,T-1-s}^2 / \sum_s \lambda^s`, updated as
    running sums; per-stock bias statistics of the forecasts
    :math:`\hat\sigma^2_{it} = \lambda \hat\sigma^2_{i,t-1} + (1-\lambda) e_{i,t-1}^2`
    (started from the mean square of the first ``warmup`` periods, as
    :func:`mini.covariance.ewma_variance_forecasts`), from running sums of z and z².
    At the end, from the T × K factor returns: EWMA F
    (:func:`mini.covariance.ewma_covariance` with ``half_life`` for correlations and
    ``vol_half_life`` for volatilities), a Newey–West F with ``newey_west_lags`` and its
    eigenvalues floored, and factor bias statistics with ``vol_half_life``.
    """
    shape = panel_shape(folder)
    if warmup < 1 or warmup >= shape.n_periods - 1:
        raise ValueError(f"warm-up must be between 1 and {shape.n_periods - 2} periods, got {warmup}")
    decay = decay_from_half_life(half_life)
    n_ind = len(shape.industries)
    n = shape.n_stocks
    factor_returns, t_stats, r2 = [], [], []
    kept = []
    ewma_sum, ewma_norm = np.zeros(n), 0.0
    warm_sum = np.zeros(n)
    running = None
    z_sum, z_sq, z_count = np.zeros(n), np.zeros(n), 0
    for block in iter_blocks(folder, block_periods):
        pi = industry_cap_weights(block.codes, block.caps, n_ind)
        fit = structured_regression(block.codes, block.styles, block.returns, np.sqrt(block.caps), pi)
        factor_returns.append(fit.factor_returns)
        t_stats.append(fit.t_stats)
        r2.append(fit.r2_centred)
        if keep_residuals:
            kept.append(fit.residuals)
        squares = fit.residuals**2
        for row, t in enumerate(range(block.start, block.start + len(squares))):  # recursions in time
            ewma_sum = decay * ewma_sum + squares[row]
            ewma_norm = decay * ewma_norm + 1.0
            if t < warmup:
                warm_sum += squares[row]
                if t == warmup - 1:
                    running = warm_sum / warmup
                continue
            z = fit.residuals[row] / np.sqrt(running)
            z_sum += z
            z_sq += z * z
            z_count += 1
            running = decay * running + (1.0 - decay) * squares[row]

    periods = pd.RangeIndex(shape.n_periods, name="period")
    stocks = pd.Index([f"S{i:05d}" for i in range(n)], name="stock")
    factors = pd.Index(shape.factors, name="factor")
    f = pd.DataFrame(np.vstack(factor_returns), index=periods, columns=factors)
    forecasts = ewma_variance_forecasts(f, half_life=vol_half_life, warmup=warmup)
    nw = newey_west_covariance(f, lags=newey_west_lags, half_life=half_life)
    floor = 1e-6 * float(np.trace(nw.to_numpy())) / len(factors)
    return StreamResult(
        factor_returns=f,
        t_stats=pd.DataFrame(np.vstack(t_stats), index=periods, columns=factors),
        r2_centred=pd.Series(np.concatenate(r2), index=periods, name="R² (centred)"),
        factor_cov=ewma_covariance(f, half_life=half_life, vol_half_life=vol_half_life),
        factor_cov_nw=eigenvalue_floor(nw, floor),
        specific_var=pd.Series(ewma_sum / ewma_norm, index=stocks, name="specific variance"),
        factor_bias=bias_statistic(f.iloc[warmup:] / np.sqrt(forecasts)),
        specific_bias=pd.Series(
            np.sqrt((z_sq - z_sum**2 / z_count) / (z_count - 1)), index=stocks, name="bias statistic"
        ),
        residuals=pd.DataFrame(np.vstack(kept), index=periods, columns=stocks) if keep_residuals else None,
    )
