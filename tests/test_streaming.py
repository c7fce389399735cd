"""The stored panel of mini.streaming: its checks, its defaults and what it holds.

(The streamed estimation is compared with the readable functions in test_engine.py.)
"""

from __future__ import annotations

import filecmp

import pytest

from mini.streaming import PanelShape, panel_shape, write_simulated_panel

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
