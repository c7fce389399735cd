"""PCA and the Marchenko–Pastur edge against numpy's eigendecomposition and the formula by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.statistical import marchenko_pastur_edge, principal_components


def test_marchenko_pastur_edge_by_hand():
    assert marchenko_pastur_edge(100, 400) == pytest.approx(2.25, rel=1e-14)  # (1 + 1/2)^2
    assert marchenko_pastur_edge(9, 1, variance=0.5) == pytest.approx(8.0, rel=1e-14)  # 0.5 (1 + 3)^2


def test_principal_components_against_numpy():
    rng = np.random.default_rng(9)
    common = rng.normal(size=(40, 1))
    returns = pd.DataFrame(common @ rng.normal(size=(1, 5)) + rng.normal(size=(40, 5)), columns=list("abcde"))
    pcs = principal_components(returns, 2)
    values, vectors = np.linalg.eigh(np.corrcoef(returns.to_numpy(), rowvar=False))
    values, vectors = values[::-1], vectors[:, ::-1]
    assert np.allclose(pcs.eigenvalues, values, rtol=1e-12)
    for k in range(2):
        loading = pcs.loadings.iloc[:, k].to_numpy()
        assert abs(loading @ vectors[:, k]) == pytest.approx(1.0, rel=1e-12)  # same vector up to sign
    z = (returns - returns.mean()) / returns.std(ddof=1)
    assert np.allclose(pcs.factor_returns, z.to_numpy() @ pcs.loadings.to_numpy(), rtol=1e-12)
    assert pcs.edge == pytest.approx((1 + np.sqrt(5 / 40)) ** 2, rel=1e-14)
    assert pcs.n_above_edge == int(np.sum(values > pcs.edge))
    assert list(pcs.loadings.columns) == ["PC1", "PC2"]


def test_statistical_labels_and_messages():
    returns = pd.DataFrame(np.random.default_rng(1).normal(size=(6, 3)), columns=list("abc"))
    pcs = principal_components(returns, 3)
    assert pcs.eigenvalues.name == "eigenvalue" and list(pcs.eigenvalues.index) == ["PC1", "PC2", "PC3"]
    assert list(pcs.factor_returns.columns) == ["PC1", "PC2", "PC3"]
    assert list(pcs.loadings.index) == list("abc")
    with pytest.raises(ValueError, match="^n_components must be between 1 and 3, got 4$"):
        principal_components(returns, 4)
    with pytest.raises(ValueError, match="^n_components must be between 1 and 3, got 0$"):
        principal_components(returns, 0)
    with pytest.raises(ValueError, match=r"^returns are constant for \['b'\]$"):
        principal_components(returns.assign(b=1.0), 1)
    with pytest.raises(ValueError, match="^number of assets must be a whole number of at least 1, got 0$"):
        marchenko_pastur_edge(0, 5)
    with pytest.raises(ValueError, match="^number of periods must be a whole number of at least 1, got 0$"):
        marchenko_pastur_edge(5, 0)
    with pytest.raises(ValueError, match="^variance must be positive, got 0"):
        marchenko_pastur_edge(5, 5, variance=0.0)
    assert marchenko_pastur_edge(1, 1) == pytest.approx(4.0)
