r"""Statistical factor models: factors extracted from returns alone by PCA.

With T periods of returns on N stocks, the eigenvalues of the sample correlation
matrix of pure noise spread out over the Marchenko–Pastur interval

.. math:: \lambda_\pm = \left(1 \pm \sqrt{N/T}\right)^2 ,

so eigenvalues clearly above :math:`\lambda_+` are evidence of common factors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mini import _checks


def marchenko_pastur_edge(n_assets: int, n_periods: int, variance: float = 1.0) -> float:
    r"""Upper edge :math:`\sigma^2 (1 + \sqrt{N/T})^2` of the noise eigenvalue spectrum."""
    n_assets = _checks.whole(n_assets, "number of assets", 1)
    n_periods = _checks.whole(n_periods, "number of periods", 1)
    variance = _checks.positive(variance, "variance")
    return float(variance * (1.0 + np.sqrt(n_assets / n_periods)) ** 2)


@dataclass(frozen=True)
class PrincipalComponents:
    """Eigenvalues of the correlation matrix (descending), loadings and factor returns."""

    eigenvalues: pd.Series
    loadings: pd.DataFrame  # N × k eigenvectors
    factor_returns: pd.DataFrame  # T × k returns of the standardised components
    edge: float  # Marchenko–Pastur upper edge

    @property
    def n_above_edge(self) -> int:
        """Number of eigenvalues above the noise edge: an estimate of the number of factors."""
        return int((self.eigenvalues > self.edge).sum())


def principal_components(returns: pd.DataFrame, n_components: int) -> PrincipalComponents:
    """PCA of the correlation matrix of ``returns`` (T × N), keeping ``n_components``."""
    returns = _checks.finite_frame(returns, "returns")
    n_periods, n_assets = returns.shape
    if not 1 <= n_components <= min(n_assets, n_periods):
        raise ValueError(f"n_components must be between 1 and {min(n_assets, n_periods)}, got {n_components}")
    std = returns.std(ddof=1)
    if (std == 0).any():
        raise ValueError(f"returns are constant for {list(std.index[std == 0])[:5]}")
    z = ((returns - returns.mean()) / std).to_numpy()
    # The SVD of the standardised panel gives the correlation eigenvectors without forming N × N.
    _, singular, vt = np.linalg.svd(z, full_matrices=False)
    eigenvalues = singular**2 / (n_periods - 1)
    names = [f"PC{k + 1}" for k in range(len(eigenvalues))]
    loadings = pd.DataFrame(vt[:n_components].T, index=returns.columns, columns=names[:n_components])
    return PrincipalComponents(
        eigenvalues=pd.Series(eigenvalues, index=names, name="eigenvalue"),
        loadings=loadings,
        factor_returns=pd.DataFrame(z @ loadings.to_numpy(), index=returns.index, columns=loadings.columns),
        edge=marchenko_pastur_edge(n_assets, n_periods),
    )
