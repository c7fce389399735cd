"""Fixtures shared by the tests of `mini` (helper functions live in support.py).

Hypothesis profiles: ``ci`` (the default) derandomises every property test, so a run
that passes once passes every time; ``explore`` draws fresh random examples, many more
of them, to look for new failures (``make hypothesis-explore``). Choose one with the
environment variable ``HYPOTHESIS_PROFILE``. The profile is loaded here, before any
test module is imported, so the ``settings(...)`` objects the test modules build
inherit it: they set only ``deadline``, never ``derandomize`` or ``max_examples``.
"""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import settings

from mini.minimodel import MiniModel, load_minimodel

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=30, database=None)
settings.register_profile("explore", derandomize=False, deadline=None, max_examples=300, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# nbval's kernels inherit this environment. With several workers, each running a chapter's
# kernel, one BLAS thread per kernel keeps them from competing for the same cores, as in the
# build's parallel execution (_ext/book_site/execute.py): OpenBLAS threads spinning on a busy
# machine made chapter 11's 500-stock solves take three times the CPU. (This process has
# loaded NumPy already, so the unit tests keep their threads.)
if os.environ.get("PYTEST_XDIST_WORKER"):
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")


@pytest.fixture(scope="session")
def mm() -> MiniModel:
    return load_minimodel()


# --- pytest-xdist: what must run on one worker ----------------------------------------------
# `make test` runs the session on two workers (`-n 2 --dist loadscope`). This scheduler keeps
# together, on one worker and in collection order: the nbval cells of one notebook (one
# kernel runs them all, in order) and the checks of one page of the browser suite (they
# share one visit of the page, tests/browser/reader.py). Other tests are grouped by module,
# as loadscope does. (xdist_group marks cannot do this here: xdist 3.8 renames the items
# through an attribute pytest 9.2 no longer reads, so the groups are silently ignored.)
NBVAL_CELL = re.compile(r"^(?P<notebook>.+ipynb)::Cell \d+$")
PAGE_CHECK = re.compile(r"^tests/browser/test_pages\.py::\w+\[(?P<page>[^\]]+\.html)\]$")


def xdist_scope(nodeid: str) -> str:
    """The unit of work a test belongs to: a notebook, a page, or a module."""
    if match := NBVAL_CELL.match(nodeid):
        return f"notebook:{match['notebook']}"
    if match := PAGE_CHECK.match(nodeid):
        return f"page:{match['page']}"
    return nodeid.rsplit("::", 1)[0]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class BookScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

    return BookScheduling(config, log)
