"""The stored panel of mini.streaming: its checks, its defaults and what it holds.

(The streamed estimation is compared with the readable functions in test_engine.py.)
"""

from __future__ import annotations

import filecmp

import numpy as np
import pytest

from mini.streaming import PanelShape, panel_shape, read_block, stream_estimation, write_simulated_panel

# the smallest panel the checks accept: one style, two industries of five stocks, two periods
SMALLEST = {"n_stocks": 10, "n_periods": 2, "n_industries": 2, "n_styles": 1}
FILES = ("returns.npy", "caps.npy", "industry.npy", "styles.npy", "meta.json")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"n_styles": 0}, r"^need at least one style and two industries$"),
        ({"n_industries": 1, "n_stocks": 50}, r"^need at least one style and two industries$"),
        ({"n_stocks": 9}, r"^need at least five stocks per industry: 9 for 2 industries$"),
        ({"n_periods": 1}, r"^need at least two periods and a positive block size$"),
        ({"block_periods": 0}, r"^need at least two periods and a positive block size$"),
    ],
)
def test_write_simulated_panel_rejects_a_panel_below_its_limits(tmp_path, change, message):
    with pytest.raises(ValueError, match=message):
        write_simulated_panel(tmp_path, **{**SMALLEST, **change})


@pytest.mark.parametrize("n_styles", [1, 2])
def test_the_smallest_panel_is_accepted_and_described(tmp_path, n_styles):
    folder = tmp_path / "new" / "panel"  # missing parents are created
    shape = write_simulated_panel(folder, **{**SMALLEST, "n_styles": n_styles}, block_periods=1)
    styles = ["SIZE", "STYLE01"][:n_styles]
    assert shape == PanelShape(2, 10, ["IND00", "IND01"], styles, 252)
    assert panel_shape(folder) == shape


def test_the_defaults_are_seed_0_daily_periods_and_blocks_of_64(tmp_path):
    sizes = {**SMALLEST, "n_periods": 65}  # two blocks of the default size: the draws depend on it
    write_simulated_panel(tmp_path / "default", **sizes)
    write_simulated_panel(tmp_path / "explicit", **sizes, seed=0, periods_per_year=252, block_periods=64)
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "default", tmp_path / "explicit", FILES, shallow=False)
    assert mismatch == errors == []


@pytest.fixture(scope="module")
def daily_panel(tmp_path_factory):
    """A stored panel of 150 stocks over 60 days, its blocks and its streamed estimates."""
    folder = tmp_path_factory.mktemp("daily")
    write_simulated_panel(folder, n_stocks=150, n_periods=60, n_industries=3, n_styles=3, seed=0)
    estimate = stream_estimation(folder, half_life=20, vol_half_life=10, warmup=5, keep_residuals=True)
    return read_block(folder, 0, 60), estimate


def test_the_stored_panel_has_the_volatilities_its_description_gives(daily_panel):
    whole, estimate = daily_panel
    annual = np.sqrt(252)
    vols = estimate.factor_returns.std() * annual  # true: market 16%, industries 5-10%, styles 2-6%
    assert 0.09 < vols["MKT"] < 0.25
    assert (vols[["IND00", "IND01", "IND02"]] < 0.2).all()
    assert (vols[["SIZE", "STYLE01", "STYLE02"]] < 0.12).all()
    specific = estimate.residuals.std() * annual  # true: about 28% at the median cap
    assert 0.22 < specific.median() < 0.31
    log_cap = np.log(whole.caps[0])
    slope = np.polyfit(log_cap, np.log(specific), 1)[0]  # true: -0.12, small stocks more volatile
    assert -0.22 < slope < -0.06
    assert 1.0 < log_cap.std() < 1.6  # log-normal caps


def test_the_stored_characteristics_drift_slowly_and_independently(daily_panel):
    styles = daily_panel[0].styles  # (T, S, N): SIZE, then two AR(1) characteristics
    for s in (1, 2):
        day_to_day = [np.corrcoef(styles[t, s], styles[t + 1, s])[0, 1] for t in range(len(styles) - 1)]
        assert min(day_to_day) > 0.99  # monthly persistence 0.995
    assert abs(np.corrcoef(styles[0, 1], styles[0, 2])[0, 1]) < 0.4
