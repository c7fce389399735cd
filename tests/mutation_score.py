"""The mutation score per module from mutmut's results (used by ``make mutation``).

    mutmut results --all true | python tests/mutation_score.py [--module M] [--within FILE]
    mutmut results | python tests/mutation_score.py --names
    mutmut results --all true | python tests/mutation_score.py --sample N [--seed S]

Reads mutmut's ``name: status`` lines on standard input. The score is the share of
tried mutants the tests kill (a timeout counts as killed); a mutant no test reaches
counts as surviving; mutants not run yet (an interrupted run) are counted apart, not in
the score. Survivors are listed so that each can be read with ``mutmut show NAME``.

``--names`` prints only the survivors' names, one per line, for ``mutmut run`` to
re-test. ``--sample N`` prints N mutant names drawn at random (seeded) from all of them:
testing a sample takes minutes where all 12,700 mutants take hours, and its score
estimates the full one within about ±2/√N (a 95% interval; ±2.6 points for N = 600).
``--within FILE`` scores only the mutants named in FILE (such a sample).
"""

from __future__ import annotations

import argparse
import math
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

KILLED = {"killed", "timeout", "caught by type check", "segfault"}
UNTESTED = {"skipped", "not checked", "check was interrupted by user"}


def module_of(mutant: str) -> str:
    return re.split(r"\.x[_ǁ]", mutant, maxsplit=1)[0]


def parse(lines: list[str]) -> list[tuple[str, str]]:
    """(mutant name, status) for every line that names a mutant of `mini`."""
    pairs = []
    for line in lines:
        name, _, status = line.strip().rpartition(": ")
        if name.startswith("mini."):
            pairs.append((name, status))
    return pairs


def main(lines: list[str], only: str = "", within: set[str] | None = None) -> int:
    counts: dict[str, Counter] = defaultdict(Counter)
    survivors: list[str] = []
    for name, status in parse(lines):
        module = module_of(name)
        if (only and module != f"mini.{only}") or (within is not None and name not in within):
            continue
        counts[module][status] += 1
        if status not in KILLED | UNTESTED:
            survivors.append(f"{name}: {status}")
    if not counts:
        print("no mutation results: run `make mutation` first")
        return 1
    print(f"{'module':<28}{'killed':>8}{'tested':>8}{'score':>9}{'not run':>9}")
    total_killed = total_tested = total_waiting = 0
    for module in sorted(counts):
        killed = sum(counts[module][s] for s in KILLED)
        tested = sum(counts[module].values()) - sum(counts[module][s] for s in UNTESTED)
        total_killed, total_tested = total_killed + killed, total_tested + tested
        waiting = sum(counts[module][s] for s in UNTESTED)
        total_waiting += waiting
        share = f"{100 * killed / tested:>8.1f}%" if tested else f"{'-':>9}"
        print(f"{module:<28}{killed:>8}{tested:>8}{share}{waiting:>9}")
    score = 100 * total_killed / max(total_tested, 1)
    print(f"{'all':<28}{total_killed:>8}{total_tested:>8}{score:>8.1f}%{total_waiting:>9}")
    if within is not None and total_tested:
        # binomial standard error of a share estimated from a random sample
        margin = 200 * math.sqrt(score / 100 * (1 - score / 100) / total_tested)
        print(
            f"a sample of {total_tested} tried mutants: the full score is {score:.1f}% ± {margin:.1f} (95%)"
        )
    if survivors:
        print(f"\n{len(survivors)} surviving mutant(s) (read one with `mutmut show NAME`):")
        print("\n".join(f"  {line}" for line in survivors))
    return 0


def survivor_names(lines: list[str]) -> list[str]:
    """The mutants some run has tried and no test killed (``make mutation SURVIVORS=1``)."""
    return [name for name, status in parse(lines) if status not in KILLED | UNTESTED]


def sample_names(lines: list[str], size: int, seed: int = 0) -> list[str]:
    """``size`` mutant names drawn without replacement, the same ones for the same seed."""
    names = sorted(name for name, _ in parse(lines))
    if not 0 < size <= len(names):
        raise ValueError(
            f"sample size must be between 1 and {len(names)} (the mutants there are), got {size}"
        )
    return sorted(random.Random(seed).sample(names, size))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", nargs="?", default="", help="score one module only (e.g. covariance)")
    parser.add_argument("--names", action="store_true", help="print the survivors' names only")
    parser.add_argument("--sample", type=int, help="print this many mutant names drawn at random")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--within", type=Path, help="score only the mutants named in this file")
    args = parser.parse_args()
    lines = sys.stdin.read().splitlines()
    if args.names:
        print("\n".join(survivor_names(lines)))
    elif args.sample:
        print("\n".join(sample_names(lines, args.sample, args.seed)))
    else:
        within = set(args.within.read_text(encoding="utf-8").split()) if args.within else None
        sys.exit(main(lines, args.module, within))
