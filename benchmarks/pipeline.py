"""Time the simulated-market pipeline of `mini` (run: .venv/bin/python benchmarks/pipeline.py).

Pipeline: simulate, regress every period (batched constrained WLS), EWMA factor
covariance, EWMA specific risk, bias statistics of an equal-weighted portfolio.
Reports the best of several runs for N = 3000 stocks x T = 120 months and
N = 1000 stocks x T = 2500 days, peak memory, and the speed of the batched regression
against a plain per-period loop over numpy.linalg.lstsq on the same problem.
Goals (2-core machine): 3000 x 120 under 2 s, 1000 x 2500 under 10 s, peak memory
under 2 GB. `--quick` runs small sizes as a smoke test.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mini.covariance import ewma_covariance, ewma_variance_forecasts  # noqa: E402
from mini.evaluation import bias_statistic  # noqa: E402
from mini.simulation import fit_cross_sections, simulate_market  # noqa: E402
from mini.specific_risk import ewma_specific_variance  # noqa: E402


def pipeline(n_stocks: int, n_periods: int, frequency: str) -> dict[str, float]:
    timings = {}
    start = time.perf_counter()
    market = simulate_market(n_stocks=n_stocks, n_periods=n_periods, frequency=frequency, seed=0)
    timings["simulate"] = time.perf_counter() - start
    t0 = time.perf_counter()
    fit = fit_cross_sections(market)
    timings["regress"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    half_life = 90 if frequency == "monthly" else 250
    ewma_covariance(fit.factor_returns, half_life=half_life, vol_half_life=half_life // 3)
    specific = ewma_specific_variance(fit.residuals, half_life=half_life)
    # Bias statistic of each factor's one-step-ahead EWMA volatility forecast.
    forecasts = ewma_variance_forecasts(fit.factor_returns, half_life=half_life, warmup=12)
    bias_statistic(fit.factor_returns.iloc[12:] / np.sqrt(forecasts))
    timings["risk + bias"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - start
    assert np.all(specific > 0)
    return timings


def lstsq_loop(market) -> float:
    """The same regressions, one period at a time, with numpy.linalg.lstsq."""
    weights = np.sqrt(market.caps.to_numpy())
    industry_weights = market.industry_weights().to_numpy()
    columns = [market.factors.get_loc(name) for name in market.industries]
    x_all, r_all = market.exposures, market.returns.to_numpy()
    start = time.perf_counter()
    for t in range(len(market.periods)):
        # the same restricted basis as mini, solved period by period by lstsq
        k = x_all.shape[2]
        r_mat = np.eye(k)[:, [c for c in range(k) if c != columns[-1]]].copy()
        r_mat[columns[-1], [c - (c > columns[-1]) for c in columns[:-1]]] = (
            -industry_weights[t, :-1] / industry_weights[t, -1]
        )
        root = np.sqrt(weights[t])[:, None]
        g = np.linalg.lstsq((x_all[t] @ r_mat) * root, r_all[t] * root[:, 0], rcond=None)[0]
        r_all[t] - x_all[t] @ (r_mat @ g)  # residuals, as the batched version returns
    return time.perf_counter() - start


def best(runs: int, fn, *args):
    results = [fn(*args) for _ in range(runs)]
    if isinstance(results[0], dict):
        return min(results, key=lambda r: r["total"])
    return min(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run")
    args = parser.parse_args()
    runs = 1 if args.quick else 3
    sizes = [(300, 24, "monthly"), (200, 250, "daily")] if args.quick else [(3000, 120, "monthly"), (1000, 2500, "daily")]
    for n, t, freq in sizes:
        timing = best(runs, pipeline, n, t, freq)
        parts = ", ".join(f"{k} {v:.2f} s" for k, v in timing.items() if k != "total")
        print(f"pipeline N={n} T={t} {freq}: {timing['total']:.2f} s  ({parts})")
        market = simulate_market(n_stocks=n, n_periods=t, frequency=freq, seed=0)
        batched = best(runs, lambda m: _timed(fit_cross_sections, m), market)
        loop = best(runs, lstsq_loop, market)
        print(f"  regression: batched {batched:.3f} s, lstsq loop {loop:.3f} s, ratio {loop / batched:.1f}x")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak_mb:.0f} MB")


def _timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
