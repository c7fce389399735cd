"""Print the mutation score per module from mutmut's results (used by ``make mutation``).

Reads ``mutmut results --all true`` on standard input. The score is the share of tested
mutants the tests kill (a timeout counts as killed); a mutant no test reaches counts as
surviving; mutants not run yet (an interrupted run) are counted apart, not in the
score. Survivors are listed so that each can be read with ``mutmut show NAME``.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict

KILLED = {"killed", "timeout", "caught by type check", "segfault"}
UNTESTED = {"skipped", "not checked", "check was interrupted by user"}


def module_of(mutant: str) -> str:
    return re.split(r"\.x[_ǁ]", mutant, maxsplit=1)[0]


def main(lines: list[str], only: str = "") -> int:
    counts: dict[str, Counter] = defaultdict(Counter)
    survivors: list[str] = []
    for line in lines:
        name, _, status = line.strip().rpartition(": ")
        if not name.startswith("mini."):
            continue
        module = module_of(name)
        if only and module != f"mini.{only}":
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
    if survivors:
        print(f"\n{len(survivors)} surviving mutant(s) (read one with `mutmut show NAME`):")
        print("\n".join(f"  {line}" for line in survivors))
    return 0


def survivor_names(lines: list[str]) -> list[str]:
    """The mutants some run has tried and no test killed (``make mutation SURVIVORS=1``)."""
    names = []
    for line in lines:
        name, _, status = line.strip().rpartition(": ")
        if name.startswith("mini.") and status not in KILLED | UNTESTED:
            names.append(name)
    return names


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["--names"]:
        print("\n".join(survivor_names(sys.stdin.read().splitlines())))
        sys.exit(0)
    sys.exit(main(sys.stdin.read().splitlines(), arguments[0] if arguments else ""))
