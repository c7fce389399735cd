"""The small examples hold the numbers their docstrings state."""

from __future__ import annotations

import numpy as np
import pytest

from mini.decomposition import decompose_risk
from mini.examples import five_stock_example, two_stock_example


def test_two_stock_example_by_hand():
    example = two_stock_example()
    # portfolio beta 1.0, market variance 0.16^2; specific 0.25 * (0.25^2 + 0.20^2)
    d = decompose_risk(example.model, example.weights)
    assert d.factor_variance == pytest.approx(0.16**2, rel=1e-14)
    assert d.specific_variance == pytest.approx(0.25 * (0.0625 + 0.04), rel=1e-14)
    assert example.weights.tolist() == [0.5, 0.5]


def test_five_stock_example_by_hand():
    example = five_stock_example()
    f = example.model.factor_cov.to_numpy()
    assert np.allclose(f, [[0.0256, -0.2 * 0.16 * 0.04], [-0.2 * 0.16 * 0.04, 0.0016]], rtol=1e-14)
    assert example.model.exposures["VALUE"].tolist() == [1.2, 0.5, -0.3, -1.0, -0.4]
    assert np.allclose(np.sqrt(example.model.specific_var), [0.20, 0.25, 0.18, 0.30, 0.22], rtol=1e-14)
    assert example.weights.sum() == pytest.approx(1.0)
    assert example.weights.tolist() == [0.30, 0.25, 0.20, 0.15, 0.10]


@pytest.mark.parametrize(
    ("build", "stocks", "factors"),
    [
        (two_stock_example, ["STOCK A", "STOCK B"], ["MKT"]),
        (five_stock_example, ["S1", "S2", "S3", "S4", "S5"], ["MKT", "VALUE"]),
    ],
)
def test_examples_label_their_stocks_factors_and_weights(build, stocks, factors):
    example = build()
    model = example.model
    for index in (model.exposures.index, model.specific_var.index, example.weights.index):
        assert list(index) == stocks
        assert index.name == "stock"
    assert list(model.exposures.columns) == factors
    for index in (model.factor_cov.index, model.factor_cov.columns):
        assert list(index) == factors
        assert index.name == "factor"
    assert example.weights.name == "weight"
