"""Fixtures shared by the tests of `mini` (helper functions live in support.py)."""

from __future__ import annotations

import re

import pytest

from mini.minimodel import MiniModel, load_minimodel


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
