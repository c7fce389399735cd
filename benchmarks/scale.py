"""A Barra-sized model on one machine (run: .venv/bin/python benchmarks/scale.py).

Generates a simulated panel of N = 10,000 stocks over T = 2,500 days with K = 80
factors (market, 60 industries, 19 styles) into a temporary folder, block by block with
a seeded generator (outside the timing; about 2.2 GB on disk, float32), then times the
whole estimation pipeline streamed from disk by mini.streaming.stream_estimation:
the constrained WLS regression of every day (mini.engine), EWMA and Newey–West factor
covariance, EWMA specific variances, and bias statistics of one-step-ahead factor and
specific forecasts. Memory is bounded by the block size, not by T.

Goal on 2 cores: under 60 s and a peak resident memory under 4 GB (the process's
lifetime peak, generation included). The last line reads
``scale: N=10000 K=80 T=2500 in X s, peak Y MB (goal <= 60 s, <= 4096 MB)``; the
script exits non-zero when a goal is missed. ``--quick`` runs a small panel (no goals).
The machine may be shared: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mini.streaming import stream_estimation, write_simulated_panel

GOAL_SECONDS = 60.0
GOAL_MB = 4096.0


def resident_peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small panel, no goals (a smoke test)")
    parser.add_argument("--block", type=int, default=64, help="periods per block read from disk")
    parser.add_argument(
        "--folder", type=Path, default=None, help="where to write the panel (default: a temp folder)"
    )
    args = parser.parse_args()
    n_stocks, n_periods, n_industries, n_styles = (
        (1000, 300, 20, 9) if args.quick else (10_000, 2_500, 60, 19)
    )
    n_factors = 1 + n_industries + n_styles
    folder = Path(tempfile.mkdtemp(prefix="scale-panel-", dir=args.folder))
    try:
        need_gb = n_periods * n_stocks * (4 + 4 + 2 + 4 * n_styles) / 1e9
        free_gb = shutil.disk_usage(folder).free / 1e9
        if free_gb < 1.5 * need_gb:
            print(f"scale: not enough disk in {folder} ({free_gb:.1f} GB free, {need_gb:.1f} GB needed)")
            return 2
        start = time.perf_counter()
        write_simulated_panel(
            folder, n_stocks, n_periods, n_industries, n_styles, seed=2026, block_periods=args.block
        )
        written = time.perf_counter() - start
        size_gb = sum(f.stat().st_size for f in folder.iterdir()) / 1e9
        print(f"panel written in {written:.1f} s: {size_gb:.2f} GB in {folder} (not timed below)")
        print(f"load average before: {load()}")
        start, cpu_start = time.perf_counter(), time.process_time()
        result = stream_estimation(
            folder, half_life=250, vol_half_life=84, warmup=63, block_periods=args.block
        )
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        print(f"load average after: {load()}")
        print(f"  estimation: {elapsed:.1f} s wall, {cpu:.1f} s of CPU over all threads")
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    peak = resident_peak_mb()
    significant = float((result.t_stats.abs() > 2).to_numpy().mean())
    print(
        f"  mean centred R² {result.r2_centred.mean():.2%}, share of |t| > 2 {significant:.1%}; "
        f"factor bias statistics {result.factor_bias.min():.2f}..{result.factor_bias.max():.2f}, "
        f"median specific bias {result.specific_bias.median():.2f}"
    )
    checks_ok = bool(
        np.all(result.specific_var > 0)
        and np.all(np.isfinite(result.factor_bias))
        and np.all(np.isfinite(result.specific_bias))
        and np.all(np.linalg.eigvalsh(result.factor_cov_nw.to_numpy()) > 0)
    )
    if not checks_ok:
        print("  the pipeline produced a non-positive variance or a non-finite bias statistic")
    print(
        f"scale: N={n_stocks} K={n_factors} T={n_periods} in {elapsed:.1f} s, peak {peak:.0f} MB "
        f"(goal <= {GOAL_SECONDS:.0f} s, <= {GOAL_MB:.0f} MB)"
    )
    if args.quick:
        return 0 if checks_ok else 1
    return 0 if checks_ok and elapsed <= GOAL_SECONDS and peak <= GOAL_MB else 1


if __name__ == "__main__":
    sys.exit(main())
