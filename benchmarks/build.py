"""Time the book's build and test suite, and check that the execution cache is honest.

    .venv/bin/python benchmarks/build.py          (or: make benchmark)

Prints three figures, with the goals for a 2-core machine:

1. clean build: `_build/` removed, then `make book`: every chapter executed in parallel
   into the cache (``_ext/book_site/execute.py``), then the Sphinx build, which must find
   them all there and execute none itself (goal <= 45 s);
2. no-change rebuild: the site's stamp removed, so that `make book` runs both steps again
   with nothing changed, which must execute no notebook (< 10 s). (With the stamp in
   place `make book` runs neither step: the figure printed after it.)
3. test suite: `make test`, which includes the lint and `make book` (the site is up to
   date: nothing runs), the unit tests, the site checks, the browser suite and nbval on
   two pytest-xdist workers (<= 90 s); the browser suite's share is read from pytest's
   JUnit report (summed over the workers, so it can exceed its share of the wall time).

The machine's load average is printed with each figure: the machine may be shared, and
a busy machine slows every figure. `--repeat 2` times everything twice.

Then it checks, in a scratch copy of the repository, that a change to `mini` alone
re-executes the chapters (the cache is keyed on `mini`'s source). `--skip-mini-check`
leaves that out. The script leaves a fully built `_build/` behind. Exit status 1 if a
goal is missed (in the last repetition) or the cache misbehaves.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# What `make book` runs: the parallel pre-execution (from _ext/, see the Makefile), then
# the strict Sphinx build (the scratch copy below runs them itself).
PREEXECUTE = ([str(BIN / "python"), "-m", "book_site.execute", ".."], "_ext")
SPHINX = ([str(BIN / "jupyter-book"), "build", ".", "-W", "-n", "--keep-going"], ".")
MAKE_BOOK = ["make", "book"]
SITE_STAMP = ROOT / "_build" / "html" / ".built-from-sources"
GOALS = {"clean build": 45.0, "no-change rebuild": 10.0, "test suite": 90.0}
# A chapter executed by the pre-execution, or (which should not happen after it) by myst-nb.
EXECUTED = re.compile(r"^\[book_site\] executed |Executing notebook using", re.M)
SPHINX_EXECUTED = re.compile(r"Executing notebook using")


def run(command: list[str], cwd: Path = ROOT, env: dict | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(
        command, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.stdout.write(result.stdout[-5000:])
        raise SystemExit(f"failed ({result.returncode}): {' '.join(command)}")
    return elapsed, result.stdout


def build(cwd: Path = ROOT, env: dict | None = None) -> tuple[float, str]:
    """`make book`'s two steps in ``cwd``; the time and the output of both."""
    seconds, outputs = 0.0, []
    for command, folder in (PREEXECUTE, SPHINX):
        elapsed, output = run(command, cwd=cwd / folder, env=env)
        seconds += elapsed
        outputs.append(output)
    return seconds, "\n".join(outputs)


def executed(output: str) -> int:
    return len(EXECUTED.findall(output))


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def browser_suite_seconds(report: Path) -> float:
    if not report.is_file():
        return float("nan")
    cases = ET.parse(report).getroot().iter("testcase")
    return sum(float(case.get("time", 0)) for case in cases if "browser" in case.get("classname", ""))


def mini_change_reexecutes(env: dict) -> tuple[int, float]:
    """In a scratch copy (with the warm cache), edit `mini` and rebuild: chapters must run."""
    with tempfile.TemporaryDirectory(prefix="book-bench-") as scratch:
        copy = Path(scratch) / "book"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "screenshots", "nbval"))
        env = dict(env, PYTHONPATH=str(copy))  # kernels import the copy's `mini`
        _, output = build(copy, env)  # same hash: re-reads, executes nothing
        warm = executed(output)
        with (copy / "mini" / "__init__.py").open("a", encoding="utf-8") as handle:
            handle.write("\n# a change to mini\n")
        seconds, output = build(copy, env)
        if warm:
            print(f"  (the copy's first build executed {warm} notebooks; expected 0)")
        return executed(output), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-mini-check", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="time everything this many times")
    args = parser.parse_args()
    # `mini` is installed in editable mode: the kernels import the working copy as they are.
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    cores = os.cpu_count()
    chapters = len(list((ROOT / "chapters").glob("*.md")))
    print(f"Benchmarking the book on {cores} cores ({chapters} chapters), {load()}")

    for repetition in range(1, args.repeat + 1):
        if args.repeat > 1:
            print(f"Run {repetition} of {args.repeat}")
        failures = []
        shutil.rmtree(ROOT / "_build", ignore_errors=True)
        clean, output = run(MAKE_BOOK, env=env)
        clean_runs = executed(output)
        sphinx_runs = len(SPHINX_EXECUTED.findall(output))
        print(
            f"  clean build        {clean:6.1f} s  ({clean_runs} notebooks executed, "
            f"{sphinx_runs} of them by the Sphinx build; {load()})"
        )
        SITE_STAMP.unlink()
        rebuild, output = run(MAKE_BOOK, env=env)
        rebuild_runs = executed(output)
        print(f"  no-change rebuild  {rebuild:6.1f} s  ({rebuild_runs} notebooks executed; {load()})")
        stamped, output = run(MAKE_BOOK, env=env)
        if "jupyter-book" in output:
            failures.append("`make book` built the site again with nothing changed")
        print(f"  (make book, site up to date: {stamped:.2f} s)")
        report = ROOT / "_build" / "test-report.xml"
        suite, _ = run(["make", "test", f"PYTEST_ARGS=--junitxml={report}"], env=env)
        print(
            f"  test suite         {suite:6.1f} s  (make test; browser suite {browser_suite_seconds(report):.1f} s "
            f"of test time over the workers; {load()})"
        )
        for name, seconds in (("clean build", clean), ("no-change rebuild", rebuild), ("test suite", suite)):
            if seconds > GOALS[name]:
                failures.append(f"{name} took {seconds:.1f} s (goal {GOALS[name]:.0f} s)")
        if sphinx_runs:
            failures.append(f"the Sphinx build executed {sphinx_runs} notebooks the pre-execution had run")
        if rebuild_runs:
            failures.append(f"the no-change rebuild executed {rebuild_runs} notebooks")
        print(
            f"Figures: clean build {clean:.1f} s | no-change rebuild {rebuild:.1f} s | "
            f"test suite {suite:.1f} s | goals {GOALS['clean build']:.0f} s, "
            f"{GOALS['no-change rebuild']:.0f} s, {GOALS['test suite']:.0f} s"
        )

    if not args.skip_mini_check:
        runs, seconds = mini_change_reexecutes(env)
        print(f"  after a change to mini: {runs} notebooks re-executed ({seconds:.1f} s)")
        if runs < clean_runs:
            failures.append(
                f"a change to mini re-executed {runs} notebooks, fewer than the {clean_runs} of a clean build"
            )

    for failure in failures:
        print(f"  MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
