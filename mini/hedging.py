r"""Hedging: offsetting chosen factor exposures with instruments such as index futures.

An instrument j is described by its factor exposures :math:`h_j` (a column of H). A
position of :math:`n_j` per dollar of portfolio changes the exposures to
:math:`x + H n`. Futures carry (almost) no specific risk, so hedging can remove factor
risk but leaves the portfolio's specific risk untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mini import _checks


def _instruments(instruments: pd.DataFrame, exposures: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    instruments = _checks.finite_frame(instruments, "instrument exposures")
    exposures = _checks.finite_series(exposures, "portfolio exposures")
    _checks.same_labels(exposures.index, instruments.index, "factors", "instrument exposures")
    return instruments.reindex(exposures.index), exposures


def exposure_hedge(exposures: pd.Series, instruments: pd.DataFrame, neutralise: Sequence[str]) -> pd.Series:
    r"""Notionals n that zero the exposures to the factors in ``neutralise``.

    Solves :math:`H_S\, n = -x_S`, where S are the chosen factors: one instrument per
    factor to neutralise. Raises when the system has no unique solution (for instance
    two instruments with proportional exposures on those factors).
    """
    instruments, exposures = _instruments(instruments, exposures)
    chosen = _checks.known_labels(neutralise, exposures.index, "factor")
    if len(chosen) != instruments.shape[1]:
        raise ValueError(
            f"need as many instruments as factors to neutralise: {instruments.shape[1]} instrument(s) "
            f"for {len(chosen)} factor(s) {chosen}"
        )
    system = instruments.loc[chosen].to_numpy()
    if np.linalg.matrix_rank(system) < len(chosen):
        raise ValueError(
            f"the hedge system has no unique solution: the instruments' exposures to {chosen} are linearly dependent"
        )
    notionals = np.linalg.solve(system, -exposures[chosen].to_numpy())
    return pd.Series(notionals, index=instruments.columns, name="notional")


def hedged_exposures(exposures: pd.Series, instruments: pd.DataFrame, notionals: pd.Series) -> pd.Series:
    """Exposures after the hedge, x + H n."""
    instruments, exposures = _instruments(instruments, exposures)
    notionals = _checks.finite_series(notionals, "notionals")
    _checks.same_labels(instruments.columns, notionals.index, "instruments", "notionals")
    return (exposures + instruments @ notionals.reindex(instruments.columns)).rename("exposure")


def minimum_variance_hedge(
    exposures: pd.Series, instruments: pd.DataFrame, factor_cov: pd.DataFrame
) -> pd.Series:
    r"""Notionals that minimise the hedged portfolio's factor variance.

    .. math:: n = -\operatorname{Cov}(H)^{-1} \operatorname{Cov}(H, p)
       = -(H^\top F H)^{-1} H^\top F x

    With one instrument this is minus the portfolio's beta to it.
    """
    instruments, exposures = _instruments(instruments, exposures)
    factor_cov = _checks.finite_frame(factor_cov, "factor covariance")
    _checks.same_labels(exposures.index, factor_cov.index, "factors", "factor covariance")
    f = factor_cov.loc[exposures.index, exposures.index].to_numpy()
    h = instruments.to_numpy()
    cov_hh = h.T @ f @ h
    eigenvalues = np.linalg.eigvalsh(cov_hh)
    if eigenvalues[0] <= 1e-10 * max(eigenvalues[-1], 0.0) or eigenvalues[-1] <= 0:
        raise ValueError(
            "the hedge instruments are redundant (their covariance matrix is singular), so the hedge has no unique solution"
        )
    notionals = -np.linalg.solve(cov_hh, h.T @ f @ exposures.to_numpy())
    return pd.Series(notionals, index=instruments.columns, name="notional")


def beta(exposures: pd.Series, instrument: pd.Series, factor_cov: pd.DataFrame) -> float:
    r"""Beta of a portfolio to an instrument, :math:`x^\top F h / h^\top F h` (factor risk only)."""
    instrument = _checks.finite_series(instrument, "instrument exposures")
    notional = minimum_variance_hedge(exposures, instrument.to_frame(), factor_cov)
    return float(-notional.iloc[0])
