"""The scree chart draws the eigenvalues and one line per noise edge."""

from __future__ import annotations

import pandas as pd
import pytest

from mini.plotting import scree_chart


def test_scree_chart_draws_bars_and_edges():
    values = pd.Series([9.0, 3.0, 1.5, 1.0], index=["PC1", "PC2", "PC3", "PC4"])
    fig = scree_chart(values, "scree", edges={"unit": 2.5, "adjusted": 1.8})
    ax = fig.axes[0]
    assert [p.get_height() for p in ax.patches] == list(values)
    edges = [line for line in ax.get_lines() if line.get_linestyle() in ("--", ":")]
    levels = sorted(line.get_ydata()[0] for line in edges)
    assert levels == [1.8, 2.5]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["unit", "adjusted"]


def test_scree_chart_refuses_nothing_to_draw():
    with pytest.raises(ValueError, match="no eigenvalues"):
        scree_chart(pd.Series([], dtype=float), "empty")


def test_scree_chart_log_axis_keeps_small_eigenvalues_readable():
    values = pd.Series([99.5, 3.0, 1.5, 1.0], index=["PC1", "PC2", "PC3", "PC4"])
    fig = scree_chart(values, "scree", edges={"edge": 2.0}, log=True)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "eigenvalue"
    assert [line.get_ydata()[0] for line in ax.get_lines()] == [2.0]  # no zero line


def test_scree_chart_log_axis_refuses_non_positive_eigenvalues():
    with pytest.raises(ValueError, match="positive eigenvalues"):
        scree_chart(pd.Series([2.0, 0.0], index=["PC1", "PC2"]), "scree", log=True)
