"""The house-style figures draw what they are given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mini.plotting import NEGATIVE, POSITIVE, bar_chart, heatmap, log_line_chart, waterfall


def test_bar_chart_colours_by_sign():
    fig = bar_chart(pd.Series({"a": 0.02, "b": -0.01, "c": 0.0}), "t")
    bars = fig.axes[0].patches
    assert len(bars) == 3
    assert [b.get_height() for b in bars] == [0.02, -0.01, 0.0]
    assert bars[1].get_facecolor()[:3] == pytest.approx(
        tuple(int(NEGATIVE[i : i + 2], 16) / 255 for i in (1, 3, 5))
    )
    assert bars[0].get_facecolor()[:3] == pytest.approx(
        tuple(int(POSITIVE[i : i + 2], 16) / 255 for i in (1, 3, 5))
    )


def test_waterfall_ends_at_the_total():
    parts = pd.Series({"x": 0.03, "y": -0.01, "z": 0.005})
    bars = waterfall(parts, "t").axes[0].patches
    assert len(bars) == 4
    assert bars[-1].get_height() == pytest.approx(parts.sum())
    assert bars[2].get_y() == pytest.approx(0.02)  # z starts where x and y ended


def test_heatmap_writes_every_value():
    frame = pd.DataFrame(np.arange(6.0).reshape(2, 3) - 2, index=["r1", "r2"], columns=["a", "b", "c"])
    ax = heatmap(frame, "t").axes[0]
    assert [t.get_text() for t in ax.texts] == ["-2.00", "-1.00", "0.00", "1.00", "2.00", "3.00"]


def test_log_line_chart_draws_values_below_the_floor_at_the_floor():
    frame = pd.DataFrame({"a": [1.0, 0.1, 0.0], "b": [2.0, -1e-17, 3.0]}, index=[1, 2, 3])
    ax = log_line_chart(frame, "t", floor=1e-3, log_x=True).axes[0]
    assert ax.get_yscale() == "log" and ax.get_xscale() == "log"
    assert list(ax.lines[0].get_ydata()) == [1.0, 0.1, 1e-3]
    assert list(ax.lines[1].get_ydata()) == [2.0, 1e-3, 3.0]
    assert ax.get_ylim()[0] == pytest.approx(1e-3)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_log_line_chart_refuses_zero_without_a_floor():
    with pytest.raises(ValueError, match="zero or negative"):
        log_line_chart(pd.DataFrame({"a": [1.0, 0.0]}), "t")
    with pytest.raises(ValueError, match="floor must be a positive"):
        log_line_chart(pd.DataFrame({"a": [1.0, 0.0]}), "t", floor=0.0)


def test_plots_reject_nan():
    with pytest.raises(ValueError, match="NaN"):
        bar_chart(pd.Series({"a": np.nan}), "t")


def test_publish_helpers_format_like_the_reference():
    from mini.book import _plain, pinned

    assert _plain(np.float64(-0.0)) == 0.0 and str(_plain(np.float64(-0.0))) == "0.0"
    assert isinstance(_plain(np.int64(3)), int)
    pinned(0.19078, "five_stock.total_vol")  # ".2%" -> "19.08%"
    pinned(np.float64(0.190849), "five_stock.total_vol")
    with pytest.raises(
        AssertionError, match="five_stock.total_vol changed: shows 19.07%, reference says 19.08%"
    ):
        pinned(0.19074, "five_stock.total_vol")
    with pytest.raises(ValueError, match="non-finite"):
        _plain(float("nan"))
    with pytest.raises(TypeError):
        pinned(0.19078, "19.08%", ".2%")  # the old three-argument form is gone


def test_reference_figure_reads_one_row_of_the_data_file():
    from mini.book import ReferenceFigure, reference_figure

    figure = reference_figure("risk.active.total_vol")
    assert isinstance(figure, ReferenceFigure)
    assert (figure.value, figure.format, figure.source) == ("5.42%", ".2%", "reference output §4")
    assert "chapters/08-risk-model-assembly.md" in figure.appears
    assert reference_figure("risk.active.total_vol") is figure  # read once, cached
    with pytest.raises(AttributeError):
        figure.value = "5.43%"  # frozen


def test_unknown_reference_key_is_named_with_close_keys():
    from mini.book import pinned, reference_figure

    with pytest.raises(ValueError, match=r"'risk\.active\.totl_vol'.*did you mean risk\.active\.total_vol"):
        reference_figure("risk.active.totl_vol")
    with pytest.raises(
        ValueError, match="no reference figure 'nothing-like-it' in mini/data/reference_figures.csv$"
    ):
        pinned(1.0, "nothing-like-it")


def test_grouped_bars_draw_one_bar_per_cell_side_by_side():
    from mini.plotting import grouped_bars

    frame = pd.DataFrame({"naive": [0.0, -0.08], "conditional": [0.064, -0.08]}, index=["MKT", "VALUE"])
    fig = grouped_bars(frame, "t")
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == 4
    assert [b.get_height() for b in bars] == [0.0, -0.08, 0.064, -0.08]  # column by column
    assert bars[0].get_x() < bars[2].get_x() < bars[1].get_x()  # MKT pair left of the VALUE pair
    # one legend, under the plot, where no bar can hide it
    assert ax.get_legend() is None
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["naive", "conditional"]
    with pytest.raises(ValueError, match="no rows"):
        grouped_bars(frame.iloc[:0], "t")
    banded = grouped_bars(frame, "t", band=(-0.05, 0.05), band_label="95% band")
    assert len(banded.axes[0].patches) == 5  # the four bars and the shaded band
    assert [t.get_text() for t in banded.legends[0].get_texts()] == ["95% band", "naive", "conditional"]
    with pytest.raises(ValueError, match=r"band must be \(low, high\) with low < high"):
        grouped_bars(frame, "t", band=(0.05, -0.05))


def test_snap_to_zero_removes_rounding_noise_only():
    from mini.book import snap_to_zero

    noisy = pd.Series({"a": -1e-17, "b": 0.0042, "c": -0.0042})
    snapped = snap_to_zero(noisy)
    assert [format(v, ".2f") for v in snapped] == ["0.00", "0.00", "-0.00"]
    assert snapped["b"] == 0.0042 and snapped["c"] == -0.0042
    assert format(snap_to_zero(-3e-18), ".2%") == "0.00%"
    assert snap_to_zero(pd.DataFrame({"x": [-1e-15, 1.0]}))["x"].tolist() == [0.0, 1.0]


def test_line_chart_draws_lines_and_shades_flagged_periods():
    from mini.plotting import line_chart

    index = pd.RangeIndex(10)
    frame = pd.DataFrame({"x": np.linspace(0, 1, 10), "y": np.linspace(1, 0, 10)}, index=index)
    shade = pd.Series([False] * 4 + [True] * 3 + [False, True, False], index=index)
    ax = line_chart(frame, "t", shade=shade).axes[0]
    assert len(ax.lines) == 2
    bands = sorted((patch.get_x(), patch.get_x() + patch.get_width()) for patch in ax.patches)
    assert bands == [(4, 7), (8, 9)]  # a run of three periods and a single flagged period


def _tick_labels_and_values(axis) -> tuple[list[str], np.ndarray]:
    axis.figure.canvas.draw()
    labels = [t.get_text().replace("\u2212", "-") for t in axis.get_ticklabels()]
    return labels, axis.get_ticklocs()


@pytest.mark.parametrize(
    ("values", "expected_decimals"),
    [
        (pd.Series({"a": 0.011, "b": -0.0046, "c": 0.0036}), 2),  # ticks every 0.25%
        (pd.Series({"a": 0.25, "b": -0.12}), 0),  # ticks every 5%
        (pd.Series({"a": 0.0196, "b": -0.0128}), 1),  # ticks every 0.5%
    ],
)
def test_percent_tick_labels_show_the_tick_values_exactly(values, expected_decimals):
    """Ticks every 0.25% must not be labelled 0.2%, 0.5%, 0.8%, nor 1% and 2% be 1.0%, 2.0%."""
    from mini.plotting import TickPercentFormatter

    fig = bar_chart(values, "t")
    axis = fig.axes[0].yaxis
    assert isinstance(axis.get_major_formatter(), TickPercentFormatter)
    labels, ticks = _tick_labels_and_values(axis)
    assert [float(label.rstrip("%")) for label in labels] == pytest.approx(100 * ticks, abs=1e-9)
    assert {len(label.rstrip("%").partition(".")[2]) for label in labels} == {expected_decimals}


def test_line_and_curve_charts_label_fine_percent_ticks_exactly():
    from mini.plotting import curve_chart, line_chart

    frame = pd.DataFrame({"vol": [0.101, 0.1035, 0.1022, 0.1048]})
    line_axis = line_chart(frame, "t").axes[0].yaxis
    curve = pd.Series([0.0151, 0.0163, 0.0172], index=[0.01, 0.0125, 0.015])
    curve_axes = curve_chart({"c": curve}, "t").axes[0]
    for axis in (line_axis, curve_axes.xaxis, curve_axes.yaxis):
        labels, ticks = _tick_labels_and_values(axis)
        assert len(set(labels)) == len(labels)  # no two ticks share a label
        assert [float(label.rstrip("%")) for label in labels] == pytest.approx(100 * ticks, abs=1e-9)


def test_curve_chart_draws_each_curve_on_its_own_x_values_and_marks_points():
    from mini.plotting import curve_chart

    frontier = pd.Series([0.0, 0.01, 0.015], index=[0.0, 0.05, 0.10])
    line = pd.Series([0.0, 0.02], index=[0.0, 0.12])
    ax = curve_chart({"long-only": frontier, "no limits": line}, "t", points={"optimum": (0.05, 0.01)}).axes[
        0
    ]
    drawn = ax.get_lines()
    assert list(drawn[0].get_xdata()) == [0.0, 0.05, 0.10] and list(drawn[0].get_ydata()) == [
        0.0,
        0.01,
        0.015,
    ]
    assert list(drawn[1].get_xdata()) == [0.0, 0.12]
    assert list(drawn[2].get_xdata()) == [0.05] and drawn[2].get_marker() == "o"
    assert [t.get_text() for t in ax.texts] == ["optimum"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["long-only", "no limits"]
    with pytest.raises(ValueError, match="empty"):
        curve_chart({}, "t")
    with pytest.raises(ValueError, match="NaN"):
        curve_chart({"bad": pd.Series([np.nan], index=[0.0])}, "t")


def test_waterfall_leaves_room_above_its_highest_running_total():
    parts = pd.Series({"a": 0.0, "b": -0.001, "c": 0.0066, "d": -0.0072})
    low, high = waterfall(parts, "t").axes[0].get_ylim()
    running = np.cumsum(parts.to_numpy())
    assert high > running.max() and low < running.min()
    assert waterfall(pd.Series({"a": 0.01, "b": 0.02}), "t").axes[0].get_ylim()[0] == 0.0  # no negative room


def test_long_category_labels_are_slanted_and_short_ones_upright():
    def rotations(fig):
        fig.canvas.draw()
        return {label.get_rotation() for label in fig.axes[0].get_xticklabels()}

    long_names = pd.Series(
        0.01,
        index=["ENERGY", "MATERIALS", "INDUSTRIALS", "CONSUMER", "HEALTH", "FINANCIALS", "TECH", "TELECOM"],
    )
    assert rotations(bar_chart(long_names, "t")) == {45.0}
    assert rotations(bar_chart(pd.Series(0.01, index=["MKT", "TECH", "FIN"]), "t")) == {0.0}
    stocks = ["AXIOM", "BINARY", "CIPHER", "DIGIT", "EVERGREEN", "FIDELIS", "GUARDIAN", "HARVEST", "INDIGO"]
    assert rotations(heatmap(pd.DataFrame(np.eye(3, 9), columns=stocks), "t")) == {45.0}


def test_line_chart_over_integer_periods_has_integer_ticks_and_its_legend_below():
    from mini.plotting import line_chart

    fig = line_chart(
        pd.DataFrame({"a": np.linspace(0, 1, 20), "b": np.linspace(1, 0, 20)}), "t", percent=False
    )
    ticks = fig.axes[0].get_xticks()
    assert np.allclose(ticks, np.round(ticks))
    [legend] = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b"]
    fig.canvas.draw()
    assert (
        legend.get_window_extent().y1 <= fig.axes[0].get_window_extent().y0
    )  # under the axes, not on the lines


def test_rounding_gap_compares_printed_parts_with_the_printed_total():
    from mini.book import rounding_gap

    # 0.3333% x 3 prints as 0.333% three times (0.999%) but the total as 1.000%
    assert rounding_gap([1 / 300] * 3, 0.01, ".3%") == -0.001
    assert rounding_gap([0.25, 0.5], 0.75, ".2f") == 0.0
    with pytest.raises(ValueError, match="spec"):
        rounding_gap([1.0], 1.0, ".2e")
    with pytest.raises(ValueError, match="finite"):
        rounding_gap([float("nan")], 1.0, ".2f")


def test_frontier_chart_shows_the_ratio_so_a_bend_is_visible():
    from mini.plotting import frontier_chart

    risk = np.array([0.01, 0.02, 0.03, 0.04])
    straight = pd.Series(0.2 * risk, index=risk)
    bent = pd.Series(np.minimum(0.2 * risk, 0.005 + 0.05 * risk), index=risk)
    fig = frontier_chart({"free": straight, "capped": bent}, "frontiers", breakpoints={"cap": 0.0333})
    left, right = fig.axes
    ratios = [line.get_ydata() for line in right.get_lines() if line.get_linestyle() == "-"]
    assert np.allclose(ratios[0], 0.2) and ratios[1][-1] < 0.2  # flat, then bent below
    assert [line.get_xdata()[0] for line in left.get_lines() if line.get_linestyle() == ":"] == [0.0333]
    with pytest.raises(ValueError, match="non-positive risk"):
        frontier_chart({"bad": pd.Series([0.0], index=[0.0])}, "bad")


def test_grouped_bars_can_draw_a_large_group_in_its_own_panel():
    from mini.plotting import grouped_bars

    frame = pd.DataFrame(
        {"before": [0.8, 0.002, 0.1], "after": [0.01, 0.03, 0.1]}, index=["Market", "Styles", "Specific"]
    )
    fig = grouped_bars(frame, "blocks", separate=["Market"])
    left, right = fig.axes
    assert [t.get_text() for t in left.get_xticklabels()] == ["Market"]
    assert [t.get_text() for t in right.get_xticklabels()] == ["Styles", "Specific"]
    assert right.get_ylim()[1] < 0.2  # the small groups get their own scale
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["before", "after"]  # one legend
    with pytest.raises(ValueError, match="does not have"):
        grouped_bars(frame, "blocks", separate=["Size"])
    with pytest.raises(ValueError, match="nothing left"):
        grouped_bars(frame, "blocks", separate=list(frame.index))


def test_bar_chart_draws_band_lines():
    values = pd.Series([0.05, -0.1], index=["A", "B"])
    fig = bar_chart(values, "bars", percent=False, lines={"upper": 0.2, "lower": -0.2})
    ax = fig.axes[0]
    dashed = sorted(line.get_ydata()[0] for line in ax.get_lines() if line.get_linestyle() == "--")
    assert dashed == [-0.2, 0.2]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["upper", "lower"]


def test_a_simulated_history_is_drawn_against_the_simulations_clock():
    """Rows at the simulation's dates are drawn at their period number (1 = first), so no
    calendar year appears on the axis; shading follows the rows it flags."""
    from mini.plotting import line_chart

    periods = pd.date_range("2010-01-01", periods=24, freq="MS", name="period")
    frame = pd.DataFrame({"x": np.linspace(0, 1, 12)}, index=periods[12:])  # months 13-24
    crisis = pd.Series(False, index=periods)
    crisis.iloc[14:16] = True  # months 15 and 16
    fig = line_chart(frame, "t", shade=crisis, simulated_periods=periods, xlabel="month of the simulation")
    ax = fig.axes[0]
    assert list(ax.lines[0].get_xdata()) == list(range(13, 25))
    bands = [(patch.get_x(), patch.get_x() + patch.get_width()) for patch in ax.patches]
    assert bands == [(15, 17)]
    assert ax.get_xlabel() == "month of the simulation"
    fig.canvas.draw()
    shown = [label.get_text().replace("\u2212", "-") for label in ax.get_xticklabels()]
    assert all(0 <= int(text) <= 26 for text in shown if text), shown  # months, not years
    default = line_chart(frame, "t", simulated_periods=periods).axes[0]
    assert default.get_xlabel() == "period of the simulation"
    with pytest.raises(ValueError, match="simulated_periods"):
        line_chart(frame, "t", simulated_periods=periods[:12])


def test_every_chart_labels_the_axes_it_is_given():
    from mini.plotting import grouped_bars, line_chart, panel_bars, scree_chart

    values = pd.Series({"a": 0.1, "b": -0.2})
    frame = pd.DataFrame({"x": [0.1, 0.2], "y": [0.3, -0.1]}, index=["a", "b"])
    labelled = {
        "bar": bar_chart(values, "t", ylabel="return", xlabel="factor").axes[0],
        "waterfall": waterfall(values, "t", ylabel="return", xlabel="factor").axes[0],
        "grouped": grouped_bars(frame, "t", ylabel="return", xlabel="factor").axes[0],
        "heatmap": heatmap(frame, "t", ylabel="return", xlabel="factor").axes[0],
        "line": line_chart(frame.reset_index(drop=True), "t", "return", xlabel="factor").axes[0],
        "scree": scree_chart(values.abs(), "t", ylabel="return", xlabel="factor").axes[0],
    }
    for name, ax in labelled.items():
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("factor", "return"), name
    colour_bar = heatmap(frame, "t", colorbar_label="correlation").axes[1]
    assert colour_bar.get_ylabel() == "correlation"
    assert panel_bars(frame, "t", ylabel="source").axes[0].get_ylabel() == "source"


def test_publish_glues_in_the_build_and_shows_figures_to_readers(monkeypatch):
    """In the book's build a published value is glued and nothing is shown; in a reader's
    kernel a figure is shown under its cell, numbers are not glued, and myst-nb (whose
    glue brings nbformat and jsonschema) is never imported."""
    import sys

    from IPython.core import pylabtools
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from mini.book import BUILD_FLAG, publish

    renders = []

    def counting(*args, **kwargs):
        renders.append(1)
        return original(*args, **kwargs)

    # IPython's PNG formatter holds the print_figure it was registered with
    shell, original = InteractiveShell.instance(), pylabtools.print_figure
    monkeypatch.setattr(pylabtools, "print_figure", counting)
    pylabtools.select_figure_formats(shell, {"png"})
    fig = bar_chart(pd.Series({"a": 0.02, "b": -0.01}), "t")
    try:
        # a reader's kernel: myst-nb's glue is never called, nor imported
        monkeypatch.delenv(BUILD_FLAG, raising=False)
        import myst_nb

        real_glue, glued = myst_nb.glue, []
        monkeypatch.setattr(myst_nb, "glue", lambda key, *args, **kwargs: glued.append(key))
        with capture_output() as captured:
            publish("fig", fig)
            publish("vol", 0.1234)
        (shown,) = captured.outputs
        assert list(shown.data) == ["text/plain", "image/png"] and len(renders) == 1
        assert glued == []
        with pytest.raises(ValueError, match="non-finite"):
            publish("vol", float("nan"))
        monkeypatch.setitem(sys.modules, "myst_nb", None)  # importing it raises ImportError
        with capture_output() as captured:
            publish("fig", fig)
        assert len(captured.outputs) == 1
        # the build: glued, not shown
        monkeypatch.setenv(BUILD_FLAG, "1")
        monkeypatch.setitem(sys.modules, "myst_nb", myst_nb)
        monkeypatch.setattr(myst_nb, "glue", real_glue)
        with capture_output() as captured:
            publish("fig", fig)
            publish("vol", 0.1234)
        glued_figure, glued_number = captured.outputs
        assert list(glued_figure.data) == [
            "application/papermill.record/text/plain",
            "application/papermill.record/image/png",
        ]
        assert glued_figure.metadata["scrapbook"]["name"] == "fig"
        assert glued_number.data == {"application/papermill.record/text/plain": "0.1234"}
        assert len(renders) == 3
    finally:
        monkeypatch.undo()
        pylabtools.select_figure_formats(shell, {"png"})
