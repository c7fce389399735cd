"""The benchmark script runs (its --quick smoke mode) and prints its figures; nothing is timed here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "pipeline.py"


def test_benchmark_quick_run_prints_its_figures():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    for line in ("pipeline N=300 T=24 monthly", "pipeline N=200 T=250 daily", "lstsq loop", "peak memory"):
        assert line in done.stdout, done.stdout
    assert "skfolio fit" in done.stdout or "skfolio: not installed" in done.stdout
