r"""The risk model: exposures X, factor covariance F and specific variances Δ.

Stock covariance :math:`\Sigma = X F X^\top + \Delta`, with Δ diagonal. The model is
stored in its factored form; :meth:`RiskModel.covariance` forms Σ only on request,
because for thousands of stocks the N × N matrix is never needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mini import _checks


def factor_covariance(vols: pd.Series, correlation: pd.DataFrame) -> pd.DataFrame:
    r"""Factor covariance from volatilities and correlations, :math:`F = D C D` with D = diag(vols).

    The correlation matrix must be symmetric with a unit diagonal and positive
    definite: otherwise some portfolio of factors would have negative variance.
    """
    vols = _checks.finite_series(vols, "factor volatilities")
    correlation = _checks.finite_frame(correlation, "factor correlation")
    _checks.same_labels(vols.index, correlation.index, "factors", "correlation rows")
    _checks.same_labels(vols.index, correlation.columns, "factors", "correlation columns")
    if (vols <= 0).any():
        raise ValueError(f"factor volatilities must be positive; not so for {list(vols.index[vols <= 0])}")
    c = correlation.loc[vols.index, vols.index].to_numpy()
    if not np.allclose(np.diag(c), 1.0):
        raise ValueError("factor correlation must have ones on its diagonal")
    if np.any(np.abs(c) > 1.0 + 1e-12):
        raise ValueError("factor correlation has an entry outside [-1, 1]")
    _checks.positive_definite(c, "factor correlation")
    v = vols.to_numpy()
    return pd.DataFrame(np.outer(v, v) * c, index=vols.index, columns=vols.index)


def correlation_from_covariance(covariance: pd.DataFrame) -> pd.DataFrame:
    r"""Correlation :math:`C_{kl} = F_{kl} / \sqrt{F_{kk} F_{ll}}`."""
    covariance = _checks.finite_frame(covariance, "covariance")
    _checks.symmetric(covariance.to_numpy(), "covariance")
    _checks.positive_variances(covariance, "covariance")
    vols = np.sqrt(np.diag(covariance.to_numpy()))
    return covariance / np.outer(vols, vols)


@dataclass(frozen=True)
class RiskModel:
    r"""A factor risk model :math:`\Sigma = X F X^\top + \Delta`.

    ``exposures`` is N × K (stocks × factors), ``factor_cov`` is K × K and
    ``specific_var`` holds the N diagonal entries of Δ, all in the same units
    (decimal returns, annualised). F must be positive semi-definite and every specific
    variance positive, which makes Σ positive definite; F itself may be singular.
    """

    exposures: pd.DataFrame
    factor_cov: pd.DataFrame
    specific_var: pd.Series

    def __post_init__(self) -> None:
        x = _checks.finite_frame(self.exposures, "exposures")
        f = _checks.finite_frame(self.factor_cov, "factor covariance")
        d = _checks.finite_series(self.specific_var, "specific variances")
        _checks.same_labels(x.columns, f.index, "factors", "factor covariance rows")
        _checks.same_labels(x.columns, f.columns, "factors", "factor covariance columns")
        _checks.same_labels(x.index, d.index, "stocks", "specific variances")
        f = f.loc[x.columns, x.columns]
        _checks.positive_semidefinite(f.to_numpy(), "factor covariance")
        if (d <= 0).any():
            raise ValueError(f"specific variances must be positive; not so for {list(d.index[d <= 0])}")
        object.__setattr__(self, "exposures", _checks.frozen(x))
        object.__setattr__(self, "factor_cov", _checks.frozen(f))
        object.__setattr__(self, "specific_var", _checks.frozen(d.reindex(x.index)))

    @property
    def stocks(self) -> pd.Index:
        return self.exposures.index

    @property
    def factors(self) -> pd.Index:
        return self.exposures.columns

    def covariance(self) -> pd.DataFrame:
        r"""The full N × N stock covariance :math:`X F X^\top + \Delta` (small N only)."""
        x = self.exposures.to_numpy()
        sigma = x @ self.factor_cov.to_numpy() @ x.T + np.diag(self.specific_var.to_numpy())
        return pd.DataFrame(sigma, index=self.stocks, columns=self.stocks)

    def covariance_times(self, weights: pd.Series) -> pd.Series:
        r""":math:`\Sigma w = X (F (X^\top w)) + \Delta w`, without forming Σ."""
        w = self.aligned_weights(weights)
        x = self.exposures.to_numpy()
        product = x @ (self.factor_cov.to_numpy() @ (x.T @ w)) + self.specific_var.to_numpy() * w
        return pd.Series(product, index=self.stocks)

    def solve(self, vector: pd.Series) -> pd.Series:
        r"""Σ⁻¹ v by the Woodbury identity, without forming or inverting the N × N matrix.

        .. math:: \Sigma^{-1} = \Delta^{-1} - \Delta^{-1} X
           \left(I + F X^\top \Delta^{-1} X\right)^{-1} F X^\top \Delta^{-1}

        (the Woodbury identity, arranged so that F is never inverted). Only a K × K
        system is solved, so the cost grows linearly with the number of stocks instead
        of cubically.
        """
        v = self.aligned_weights(vector, "vector")
        x = self.exposures.to_numpy()
        f = self.factor_cov.to_numpy()
        d_inv = 1.0 / self.specific_var.to_numpy()
        inner = np.eye(len(f)) + f @ ((x.T * d_inv) @ x)  # K x K
        scaled = d_inv * v
        result = scaled - d_inv * (x @ np.linalg.solve(inner, f @ (x.T @ scaled)))
        return pd.Series(result, index=self.stocks)

    def aligned_weights(self, weights: pd.Series, name: str = "weights") -> np.ndarray:
        """Weights as an array in the model's stock order, after checking labels and values."""
        weights = _checks.finite_series(weights, name)
        _checks.same_labels(self.stocks, weights.index, "stocks", name)
        return _checks.aligned(weights, self.stocks, "stocks", name).to_numpy(copy=True)  # the caller's own
