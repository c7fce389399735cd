"""Figures in the book's house style, so chapters show pictures without plotting plumbing.

Every function returns a matplotlib ``Figure`` (closed, so notebooks do not also
display it) for the chapter to glue. White backgrounds keep figures legible when the
site is read in dark mode.

Every axis a reader must read a number from takes a label, with its unit ("tracking
error (annual)", "weight (multiple of capital)"). Simulated histories are drawn against
the simulation's own clock (``line_chart(..., simulated_periods=market.periods)``:
month or day 1, 2, ...), never against the calendar dates the simulation indexes them
by, which would read as real data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from mini import _checks

POSITIVE = "#1f6f8b"
NEGATIVE = "#c8553d"
NEUTRAL = "#7a7a7a"
# Colours for several series side by side (not signs, so red is avoided).
SERIES_COLOURS = [POSITIVE, "#e0a458", NEUTRAL, "#5b8e7d"]

STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "font.size": 10,
    "axes.titlesize": 11,
    "figure.dpi": 110,
}


class TickPercentFormatter(PercentFormatter):
    """Percent tick labels with as many decimals as the tick spacing needs, and no more.

    A fixed number of decimals mislabels ticks: with one decimal, ticks every 0.25%
    would read 0.2%, 0.5%, 0.8%. Here every label on an axis gets the fewest decimals
    (at most four) that show all the axis's tick values exactly: 0.25%, 0.50%, 0.75%,
    or 5%, 10%, 15%.
    """

    def __init__(self) -> None:
        super().__init__(xmax=1.0)

    def __call__(self, x: float, pos: int | None = None) -> str:
        ticks = 100 * np.asarray(self.axis.get_majorticklocs() if self.axis is not None else [x], dtype=float)
        self.decimals = next(
            (d for d in range(5) if np.allclose(np.round(ticks, d), ticks, rtol=0.0, atol=1e-9)), 4
        )
        return super().__call__(x, pos)


def _new_figure(size: tuple[float, float]) -> tuple[Figure, plt.Axes]:
    """A figure and axes; call inside ``plt.rc_context(STYLE)`` so the style applies."""
    return plt.subplots(figsize=size, layout="constrained")


def _sign_colours(values: pd.Series) -> list[str]:
    return [POSITIVE if v >= 0 else NEGATIVE for v in values]


def _crowded(labels: list[str], max_upright: int) -> bool:
    """Whether category labels would collide if written upright under a standard-width
    axis: too many of them, or too many characters in all."""
    return len(labels) > max_upright or sum(len(label) for label in labels) > 60


def _finish_bars(
    ax: plt.Axes,
    title: str,
    percent: bool,
    labels: list[str],
    max_upright: int,
    xlabel: str = "",
    ylabel: str = "",
    zero_line: bool = True,
) -> None:
    """Zero line, title, axis labels, percent axis, and slanted labels when they would not
    fit upright."""
    if zero_line:
        ax.axhline(0, color="black", linewidth=0.8)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if percent:
        ax.yaxis.set_major_formatter(TickPercentFormatter())
    if _crowded(labels, max_upright):
        ax.tick_params(axis="x", labelrotation=45)
        plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")


def bar_chart(
    values: pd.Series,
    title: str,
    ylabel: str = "",
    percent: bool = True,
    size: tuple[float, float] = (6.4, 3.2),
    xlabel: str = "",
    lines: Mapping[str, float] | None = None,
) -> Figure:
    """Vertical bars, blue for positive and red for negative values, labelled by the index.

    ``lines`` (label -> level) adds a dashed horizontal line, with a legend entry, at
    each level: the edges of a confidence band, say."""
    values = _checks.finite_series(values, "values")
    with plt.rc_context(STYLE):
        fig, ax = _new_figure(size)
        ax.bar([str(i) for i in values.index], values.to_numpy(), color=_sign_colours(values))
        for label, level in (lines or {}).items():
            _checks.finite_array([level], f"line {label!r}")
            ax.axhline(level, color=NEUTRAL, linestyle="--", linewidth=1.0, label=str(label))
        if lines:
            ax.legend(frameon=False)
        _finish_bars(ax, title, percent, [str(i) for i in values.index], 8, xlabel, ylabel)
    plt.close(fig)
    return fig


def waterfall(
    parts: pd.Series,
    title: str,
    total_label: str = "Total",
    percent: bool = True,
    size: tuple[float, float] = (6.4, 3.4),
    ylabel: str = "",
    xlabel: str = "",
) -> Figure:
    """Each part as a floating bar that starts where the previous one ended, then the total."""
    parts = _checks.finite_series(parts, "parts")
    with plt.rc_context(STYLE):
        fig, ax = _new_figure(size)
        ends = np.cumsum(parts.to_numpy())
        starts = ends - parts.to_numpy()
        labels = [str(i) for i in parts.index] + [total_label]
        colours = _sign_colours(parts) + [NEUTRAL]
        heights = list(parts.to_numpy()) + [ends[-1]]
        bottoms = list(starts) + [0.0]
        ax.bar(labels, heights, bottom=bottoms, color=colours)
        for x, end in enumerate(ends[:-1]):
            ax.plot([x - 0.4, x + 1.4], [end, end], color=NEUTRAL, linewidth=0.6)
        # Floating bars make every start a "sticky" edge, which would leave no margin
        # above the highest bar; set the limits from the running total instead.
        low = min(0.0, float(starts.min()), float(ends.min()))
        high = max(0.0, float(starts.max()), float(ends.max()))
        pad = 0.06 * (high - low) if high > low else 1.0
        ax.set_ylim(low - pad if low < 0 else 0.0, high + pad if high > 0 else 0.0)
        _finish_bars(ax, title, percent, labels, 9, xlabel, ylabel)
    plt.close(fig)
    return fig


def heatmap(
    frame: pd.DataFrame,
    title: str,
    fmt: str = "{:.2f}",
    size: tuple[float, float] = (6.4, 4.2),
    xlabel: str = "",
    ylabel: str = "",
    colorbar_label: str = "",
) -> Figure:
    """A diverging colour map centred on zero, with each cell's value written in it;
    ``colorbar_label`` names the values (and their unit) beside the colour bar."""
    frame = _checks.finite_frame(frame, "frame")
    with plt.rc_context(STYLE):
        fig, ax = _new_figure(size)
        limit = float(np.max(np.abs(frame.to_numpy()))) or 1.0
        image = ax.imshow(frame.to_numpy(), cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
        columns = [str(c) for c in frame.columns]
        ax.set_xticks(range(frame.shape[1]), columns)
        if _crowded(columns, max_upright=8):
            plt.setp(ax.get_xticklabels(), rotation=45, ha="right", rotation_mode="anchor")
        ax.set_yticks(range(frame.shape[0]), [str(i) for i in frame.index])
        ax.grid(False)
        for (row, col), value in np.ndenumerate(frame.to_numpy()):
            shade = "white" if abs(value) > 0.6 * limit else "black"
            ax.text(col, row, fmt.format(value), ha="center", va="center", fontsize=8, color=shade)
        fig.colorbar(image, ax=ax, shrink=0.8, label=colorbar_label)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    plt.close(fig)
    return fig


def grouped_bars(
    frame: pd.DataFrame,
    title: str,
    ylabel: str = "",
    percent: bool = True,
    size: tuple[float, float] = (6.4, 3.4),
    xlabel: str = "",
    band: tuple[float, float] | None = None,
    band_label: str = "band",
    separate: Sequence[str] = (),
) -> Figure:
    """Side-by-side bars: one group per row of ``frame``, one bar (and legend entry) per column.

    ``band`` (low, high) shades that horizontal range behind the bars, with its own legend
    entry ``band_label``: for instance the range a test statistic of a correct model falls in.

    Rows named in ``separate`` are drawn in a panel of their own on the left, with their
    own scale, so that one large group (say a market block of 80%) does not flatten the
    small ones that the text discusses."""
    frame = _checks.finite_frame(frame, "frame")
    if frame.empty:
        raise ValueError("frame has no rows or no columns to draw")
    if band is not None:
        low, high = _checks.finite_array(band, "band", ndim=1)
        if len(band) != 2 or not low < high:
            raise ValueError(f"band must be (low, high) with low < high, got {tuple(band)}")
    unknown = [row for row in separate if row not in frame.index]
    if unknown:
        raise ValueError(f"separate names rows {unknown} that the frame does not have")
    rest = frame.drop(index=list(separate))
    if separate and rest.empty:
        raise ValueError("separate takes every row: nothing left for the main panel")
    n_series = frame.shape[1]
    colours = SERIES_COLOURS if n_series <= len(SERIES_COLOURS) else plt.get_cmap("tab10").colors

    def draw(ax: plt.Axes, part: pd.DataFrame, panel_title: str, x_label: str, y_label: str) -> None:
        width = 0.8 / n_series
        positions = np.arange(part.shape[0])
        for j, column in enumerate(part.columns):
            offset = (j - (n_series - 1) / 2) * width
            ax.bar(
                positions + offset,
                part[column].to_numpy(),
                width=width,
                label=str(column),
                color=colours[j % len(colours)],
            )
        if band is not None:
            ax.axhspan(low, high, color=NEUTRAL, alpha=0.25, linewidth=0, zorder=0, label=band_label)
        ax.set_xticks(positions, [str(i) for i in part.index])
        _finish_bars(ax, panel_title, percent, [str(i) for i in part.index], 8, x_label, y_label)

    with plt.rc_context(STYLE):
        if not separate:
            fig, ax = _new_figure(size)
            draw(ax, frame, title, xlabel, ylabel)
        else:
            fig, (left, right) = plt.subplots(
                1, 2, figsize=size, layout="constrained", width_ratios=[len(separate), len(rest)]
            )
            draw(left, frame.loc[list(separate)], "", xlabel, ylabel)
            draw(right, rest, "", xlabel, ylabel)
            fig.suptitle(title)
        # under the plot, as for line charts: a tall bar can fill any corner of the axes
        handles, labels = fig.axes[-1].get_legend_handles_labels()
        fig.legend(handles, labels, frameon=False, loc="outside lower center", ncols=len(labels))
    plt.close(fig)
    return fig


def line_chart(
    frame: pd.DataFrame,
    title: str,
    ylabel: str = "",
    percent: bool = True,
    shade: pd.Series | None = None,
    size: tuple[float, float] = (6.8, 3.4),
    xlabel: str = "",
    simulated_periods: pd.Index | None = None,
) -> Figure:
    """One line per column against the index; ``shade`` (booleans on the same index) greys
    out the periods where it is True, for example crisis regimes.

    For a simulated history pass the simulation's periods as ``simulated_periods``: each
    row is then drawn at its position in them (1 for the simulation's first period), so
    the x axis counts months or days of the simulation instead of showing the calendar
    dates the simulation indexes its periods by. Label it with ``xlabel`` ("month of the
    simulation"); without one it reads "period of the simulation".
    """
    frame = _checks.finite_frame(frame, "frame")
    x = frame.index
    if simulated_periods is not None:
        position = pd.Index(simulated_periods).get_indexer(frame.index)
        if (position < 0).any():
            raise ValueError("simulated_periods must contain every row of the frame")
        x = pd.Index(position + 1)
        xlabel = xlabel or "period of the simulation"
    with plt.rc_context(STYLE):
        fig, ax = _new_figure(size)
        for column in frame.columns:
            ax.plot(x, frame[column].to_numpy(), label=str(column), linewidth=1.4)
        if shade is not None:
            flags = shade.reindex(frame.index).fillna(False).to_numpy(dtype=bool)
            # one band per run of flagged periods, reaching to the start of the next period
            # so that a single flagged period is visible too
            edges = list(x) + [x[-1]]
            start = None
            for i, flagged in enumerate(list(flags) + [False]):
                if flagged and start is None:
                    start = i
                elif not flagged and start is not None:
                    ax.axvspan(edges[start], edges[i], color=NEUTRAL, alpha=0.2, linewidth=0)
                    start = None
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if percent:
            ax.yaxis.set_major_formatter(TickPercentFormatter())
        if pd.api.types.is_integer_dtype(x):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # periods or ranks, not 2.5
        if frame.shape[1] > 1:
            # under the plot: a line chart's lines can fill any corner of the axes
            fig.legend(frameon=False, loc="outside lower center", ncols=frame.shape[1])
    plt.close(fig)
    return fig


def log_line_chart(
    frame: pd.DataFrame,
    title: str,
    ylabel: str = "",
    xlabel: str = "",
    floor: float | None = None,
    log_x: bool = False,
    size: tuple[float, float] = (6.8, 3.4),
) -> Figure:
    """One line per column against the index, on a logarithmic y axis (and x axis if ``log_x``).

    Zero and negative values have no place on a log axis. With ``floor`` set, values
    below it are drawn at the floor, which becomes the bottom of the axis (for instance
    eigenvalues that are zero up to rounding); without it they raise ``ValueError``.
    """
    frame = _checks.finite_frame(frame, "frame")
    if floor is None:
        if (frame.to_numpy() <= 0).any():
            raise ValueError(
                "a log axis cannot show zero or negative values; pass a positive floor to draw them"
            )
    else:
        if not np.isfinite(floor) or floor <= 0:
            raise ValueError(f"floor must be a positive number, got {floor}")
        frame = frame.clip(lower=floor)
    with plt.rc_context(STYLE):
        fig, ax = _new_figure(size)
        colours = SERIES_COLOURS if frame.shape[1] <= len(SERIES_COLOURS) else plt.get_cmap("tab10").colors
        for j, column in enumerate(frame.columns):
            ax.plot(
                frame.index,
                frame[column].to_numpy(),
                label=str(column),
                linewidth=1.6,
                color=colours[j % len(colours)],
            )
        ax.set_yscale("log")
        if log_x:
            ax.set_xscale("log")
        if floor is not None:
            ax.set_ylim(bottom=floor)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if frame.shape[1] > 1:
            ax.legend(frameon=False)
    plt.close(fig)
    return fig


def curve_chart(
    curves: Mapping[str, pd.Series],
    title: str,
    xlabel: str = "",
    ylabel: str = "",
    points: Mapping[str, tuple[float, float]] | None = None,
    percent_x: bool = True,
    percent_y: bool = True,
    label_offset: tuple[float, float] = (6, 6),
    size: tuple[float, float] = (6.4, 3.6),
) -> Figure:
    """One line per entry of ``curves`` (a Series of y values indexed by x), for curves that
    do not share their x values, such as efficient frontiers; ``points`` are marked and
    labelled (label -> (x, y)), for instance an optimum on the curve. Percent axes label
    their ticks with the decimals the spacing needs; ``label_offset`` places point labels,
    in points."""
    if not curves:
        raise ValueError("curves is empty: nothing to draw")
    checked = {name: _checks.finite_series(curve, f"curve {name!r}") for name, curve in curves.items()}
    for name, curve in checked.items():
        _checks.finite_array(curve.index.to_numpy(dtype=float), f"x values of curve {name!r}")
    with plt.rc_context(STYLE):
        fig, ax = _new_figure(size)
        colours = SERIES_COLOURS if len(checked) <= len(SERIES_COLOURS) else plt.get_cmap("tab10").colors
        for j, (name, curve) in enumerate(checked.items()):
            ax.plot(
                curve.index.to_numpy(dtype=float),
                curve.to_numpy(),
                label=str(name),
                color=colours[j % len(colours)],
                linewidth=1.6,
            )
        for label, (x, y) in (points or {}).items():
            _checks.finite_array([x, y], f"point {label!r}")
            ax.plot([x], [y], marker="o", color=NEGATIVE, markersize=5, zorder=3)
            ax.annotate(str(label), (x, y), textcoords="offset points", xytext=label_offset, fontsize=9)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if percent_x:
            ax.xaxis.set_major_formatter(TickPercentFormatter())
        if percent_y:
            ax.yaxis.set_major_formatter(TickPercentFormatter())
        if len(checked) > 1:
            ax.legend(frameon=False)
    plt.close(fig)
    return fig


def frontier_chart(
    curves: Mapping[str, pd.Series],
    title: str,
    breakpoints: Mapping[str, float] | None = None,
    points: Mapping[str, tuple[float, float]] | None = None,
    size: tuple[float, float] = (7.6, 3.6),
) -> Figure:
    """Efficient frontiers in two panels: expected return against risk (left, with
    ``points`` marked), and the ratio of the two, the information ratio, against risk
    (right). A frontier that is a straight line through the origin is flat on the right,
    so where a limit bends a frontier, however slightly, its curve visibly leaves the
    flat line there. ``breakpoints`` (label -> risk) are drawn as dotted vertical lines
    in both panels. Each curve is a Series of expected returns indexed by risk, both
    decimals; the risks must be positive."""
    if not curves:
        raise ValueError("curves is empty: nothing to draw")
    checked = {name: _checks.finite_series(curve, f"curve {name!r}") for name, curve in curves.items()}
    for name, curve in checked.items():
        risk = curve.index.to_numpy(dtype=float)
        _checks.finite_array(risk, f"x values of curve {name!r}")
        if (risk <= 0).any():
            raise ValueError(f"curve {name!r} has a non-positive risk, so no ratio")
    with plt.rc_context(STYLE):
        fig, (left, right) = plt.subplots(1, 2, figsize=size, layout="constrained")
        for j, (name, curve) in enumerate(checked.items()):
            risk = curve.index.to_numpy(dtype=float)
            colour = SERIES_COLOURS[j % len(SERIES_COLOURS)]
            left.plot(risk, curve.to_numpy(), label=str(name), color=colour, linewidth=1.6)
            right.plot(risk, curve.to_numpy() / risk, color=colour, linewidth=1.6)
        for label, (x, y) in (points or {}).items():
            _checks.finite_array([x, y], f"point {label!r}")
            left.plot([x], [y], marker="o", color=NEGATIVE, markersize=5, zorder=3)
            left.annotate(str(label), (x, y), textcoords="offset points", xytext=(8, -12), fontsize=9)
        for j, (label, x) in enumerate((breakpoints or {}).items()):
            _checks.finite_array([x], f"breakpoint {label!r}")
            for ax in (left, right):
                ax.axvline(x, color=NEUTRAL, linestyle=":", linewidth=1.0)
            right.annotate(
                str(label),
                (x, 0.0),
                xycoords=("data", "axes fraction"),
                textcoords="offset points",
                xytext=(3, 4 + 11 * j),
                fontsize=8,
                color=NEUTRAL,
            )
        left.set_title("expected active return")
        right.set_title("information ratio (return / risk)")
        for ax in (left, right):
            ax.set_xlabel("tracking error (annual)")
            ax.xaxis.set_major_formatter(TickPercentFormatter())
        left.yaxis.set_major_formatter(TickPercentFormatter())
        right.set_ylabel("information ratio (return per unit of risk)")
        left.set_ylabel("expected active return (annual)")
        fig.suptitle(title)
        if len(checked) > 1:
            left.legend(frameon=False, fontsize=8)
    plt.close(fig)
    return fig


def scree_chart(
    eigenvalues: pd.Series,
    title: str,
    edges: Mapping[str, float] | None = None,
    size: tuple[float, float] = (6.8, 3.2),
    xlabel: str = "",
    ylabel: str = "eigenvalue",
    log: bool = False,
) -> Figure:
    """Eigenvalues as bars in the order given, with a dashed horizontal line (and legend
    entry) for each of ``edges`` (label -> level), such as Marchenko–Pastur noise edges.

    ``log=True`` draws the value axis on a log scale, so that one dominant eigenvalue
    (the market's) does not flatten the others against the edges; it needs positive
    eigenvalues."""
    eigenvalues = _checks.finite_series(eigenvalues, "eigenvalues")
    if eigenvalues.empty:
        raise ValueError("no eigenvalues to draw")
    if log and (eigenvalues <= 0).any():
        raise ValueError("a log axis needs positive eigenvalues")
    labels = [str(i) for i in eigenvalues.index]
    with plt.rc_context(STYLE):
        fig, ax = _new_figure(size)
        ax.bar(labels, eigenvalues.to_numpy(), color=POSITIVE)
        if log:
            ax.set_yscale("log")
        styles = ["--", ":", "-."]
        for j, (label, level) in enumerate((edges or {}).items()):
            _checks.finite_array([level], f"edge {label!r}")
            ax.axhline(
                level, color=NEGATIVE if j == 0 else NEUTRAL, linestyle=styles[j % 3], label=str(label)
            )
        if edges:
            ax.legend(frameon=False)
        _finish_bars(ax, title, False, labels, 8, xlabel, ylabel, zero_line=not log)
    plt.close(fig)
    return fig


def panel_bars(
    frame: pd.DataFrame,
    title: str,
    percent_columns: tuple[str, ...] = (),
    size: tuple[float, float] = (7.2, 3.4),
    ylabel: str = "",
) -> Figure:
    """One panel of horizontal bars per column of ``frame``, side by side, sharing the row
    labels (read across a row to follow one item through the columns); blue for positive
    and red for negative values, percent ticks for the columns in ``percent_columns``.
    Each panel is titled by its column (name the unit there); ``ylabel`` names the rows."""
    frame = _checks.finite_frame(frame, "frame")
    if frame.empty:
        raise ValueError("frame has no rows or no columns to draw")
    unknown = [c for c in percent_columns if c not in frame.columns]
    if unknown:
        raise ValueError(f"percent_columns {unknown} are not columns of the frame")
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, frame.shape[1], figsize=size, layout="constrained", sharey=True)
        axes = np.atleast_1d(axes)
        labels = [str(i) for i in frame.index]
        positions = np.arange(len(labels))
        for ax, column in zip(axes, frame.columns, strict=True):
            values = frame[column]
            ax.barh(positions, values.to_numpy(), color=_sign_colours(values))
            ax.axvline(0, color="black", linewidth=0.8)
            ax.set_title(str(column), fontsize=10)
            if column in percent_columns:
                ax.xaxis.set_major_formatter(TickPercentFormatter())
            ax.xaxis.set_major_locator(MaxNLocator(nbins=3))
        axes[0].set_yticks(positions, labels)
        axes[0].set_ylabel(ylabel)
        axes[0].invert_yaxis()
        fig.suptitle(title, fontsize=11)
    plt.close(fig)
    return fig
