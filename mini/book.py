"""Publishing helpers for the chapters: glue computed figures into prose, pin them.

Chapters quote numbers through myst-nb's ``glue``; these helpers keep that plumbing to
one line per group of figures. Values are glued as plain Python floats (NumPy scalars
do not format under ``{glue:text}``) with negative zero turned into zero, so a product
such as 0 × −1.3% never prints as "-0.00%".

The reference figures live in one data file, ``mini/data/reference_figures.csv``, with
one row per figure and the columns

- ``key``: a stable, readable name such as ``risk.active.total_vol``;
- ``value``: the figure as printed, e.g. ``5.42%`` or ``0.3847``;
- ``format``: the Python format spec that prints it (``.2%``, ``.4f``);
- ``source``: ``reference output §N`` for a figure printed in section N of the reference
  script's output, ``pinned by the book`` for one the book computes and pins itself
  (the two-stock example, the simulated-market figures, ...);
- ``appears``: the chapter files and tests that use it, separated by ``; ``.

Every chapter's last (hidden) cell pins its headline figures with ``pinned(value, key)``,
and ``tests/test_reference_figures.py`` reads the same rows, so a change in ``mini`` that
moves a published number fails both. The file ships inside the package, so a wheel or a
downloaded notebook carries it too.
"""

from __future__ import annotations

import csv
import difflib
import functools
import importlib.resources
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

#: The reference figures, by repository path (read through the installed package).
REFERENCE_FIGURES = "mini/data/reference_figures.csv"
_COLUMNS = ["key", "value", "format", "source", "appears"]


def _plain(value: object) -> object:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not np.isfinite(number):
            raise ValueError(f"cannot publish a non-finite figure ({number})")
        return number + 0.0  # -0.0 + 0.0 is 0.0
    return value


#: Set by the book's build (``_ext/book_site/notebooks.py``) for the kernels it starts.
BUILD_FLAG = "MINI_BOOK_BUILD"


def publish(key: str, value: object) -> None:
    """Glue one figure (a number, a string or a matplotlib figure) under ``key`` for the
    book's build, or show a figure to a reader.

    The build reads glued values into the text (``{glue:text}``, ``{glue:figure}``) and
    sets ``MINI_BOOK_BUILD`` for its kernels: there the value is glued and nothing is
    displayed, so the page never shows a figure twice. Anywhere else (JupyterLab, a
    downloaded chapter, Colab, nbval) nothing reads glue records, since the reader's
    notebook has every value in its text already: a figure is displayed under the cell
    that makes it and nothing is glued. Such a kernel never imports myst-nb, whose glue
    brings nbformat and jsonschema (0.1 s a kernel, 1 s where JupyterLab's dependencies
    add jsonschema's format checkers). Either way a non-finite number is refused.
    """
    value = _plain(value)
    if os.environ.get(BUILD_FLAG):
        from myst_nb import glue

        glue(key, value, display=False)
    elif _is_figure(value) and _in_ipython():
        from IPython.display import display

        display(value)


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def _is_figure(value: object) -> bool:
    return type(value).__module__.startswith("matplotlib") and hasattr(value, "savefig")


def publish_all(values: Mapping[str, object] | pd.Series, prefix: str = "") -> None:
    """Glue every entry of a mapping or Series as ``prefix + label``."""
    for label, value in values.items():
        publish(f"{prefix}{label}", value)


@dataclass(frozen=True)
class ReferenceFigure:
    """One row of ``mini/data/reference_figures.csv`` (see the module docstring)."""

    key: str
    value: str
    format: str
    source: str
    appears: tuple[str, ...]


@functools.cache
def _reference_figures() -> dict[str, ReferenceFigure]:
    path = importlib.resources.files("mini").joinpath("data", "reference_figures.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != _COLUMNS:
            raise ValueError(f"{REFERENCE_FIGURES}: columns {reader.fieldnames}, expected {_COLUMNS}")
        figures: dict[str, ReferenceFigure] = {}
        for row in reader:
            key = row["key"]
            if key in figures:
                raise ValueError(f"{REFERENCE_FIGURES}: key {key!r} appears twice")
            appears = tuple(part.strip() for part in row["appears"].split(";") if part.strip())
            figures[key] = ReferenceFigure(key, row["value"], row["format"], row["source"], appears)
    return figures


def reference_figures() -> dict[str, ReferenceFigure]:
    """Every reference figure by key, in the file's order (a copy; the file is read once)."""
    return dict(_reference_figures())


def reference_figure(key: str) -> ReferenceFigure:
    """The row of ``mini/data/reference_figures.csv`` named ``key``.

    An unknown key raises ``ValueError`` naming it, with the closest keys as suggestions.
    """
    figures = _reference_figures()
    if key not in figures:
        close = difflib.get_close_matches(key, list(figures), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"no reference figure {key!r} in {REFERENCE_FIGURES}{hint}")
    return figures[key]


def pinned(value: float, key: str) -> None:
    """Require ``value``, formatted as reference figure ``key`` is, to read its value.

    This is how a chapter pins a headline figure: the check compares what a reader would
    see, at the precision of the row's format, with the value recorded in
    ``mini/data/reference_figures.csv`` (e.g. ``pinned(te, "risk.active.total_vol")``
    requires ``format(te, ".2%") == "5.42%"``).
    """
    figure = reference_figure(key)
    shown = format(_plain(value), figure.format)
    if shown != figure.value:
        raise AssertionError(f"published figure {key} changed: shows {shown}, reference says {figure.value}")


def rounding_gap(parts: pd.Series | list[float], total: float, spec: str) -> float:
    """How far the printed parts' sum misses the printed total, in printed units.

    Each of ``parts`` and ``total`` is formatted with the format spec ``spec`` (``.3%``,
    ``.2f``) as a reader sees it; the result is the sum of the printed parts minus the
    printed total, as a number in those units (``0.001`` for one unit in the third
    decimal of a ``.3%`` figure). Zero means a reader who adds up the parts gets the
    printed total; a chapter either shows figures for which it is zero or says that
    they are rounded.
    """
    match = re.fullmatch(r"[+ -]?,?\.(\d+)([f%])", spec)
    if match is None:
        raise ValueError(f"spec must be a fixed-point or percent format such as .2f or .3%, got {spec!r}")
    scale = 100.0 if match.group(2) == "%" else 1.0
    decimals = int(match.group(1))
    values = [float(v) for v in parts]
    if not all(np.isfinite(values)) or not np.isfinite(total):
        raise ValueError("parts and total must be finite numbers")
    printed = sum(float(format(v * scale, f".{decimals}f")) for v in values)
    return round(printed - float(format(total * scale, f".{decimals}f")), decimals)


def snap_to_zero(
    values: float | pd.Series | pd.DataFrame, tol: float = 1e-12
) -> float | pd.Series | pd.DataFrame:
    """Replace rounding noise (|v| < ``tol``) by an exact zero before publishing.

    Figures that are zero in exact arithmetic (the benchmark's style exposures, an
    active market exposure) come out of floating point as ±1e-17 and would print as
    "-0.00". Snapping them keeps the printed tables honest.
    """
    if isinstance(values, (pd.Series, pd.DataFrame)):
        return values.mask(values.abs() < tol, 0.0) + 0.0
    number = float(values)
    return 0.0 if abs(number) < tol else number


# --- tables in the PDF edition --------------------------------------------------------
#
# A DataFrame, styled or not, displays as HTML, which the site shows and the LaTeX build
# cannot use. In a kernel that imports this module, tables also carry a ``text/latex``
# rendering of the same formatted cells (the HTML still wins on the site; the PDF build
# takes the LaTeX, see _ext/book_site/latex.py). Glued tables get it too, since glue
# formats its value through the same display formatters.

LATEX_TABLE_MARK = "% mini.book table"
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_NUMBER = re.compile(r"^[+\-−]?(\d[\d,]*\.?\d*|\.\d+)(e[+\-]?\d+)?%?$|^(nan|)$", re.IGNORECASE)


def latex_escape(text: str) -> str:
    """``text`` with every character LaTeX treats specially written literally."""
    return "".join(_LATEX_SPECIAL.get(char, char) for char in text)


def _runs(labels: list[str], breaks: set[int]) -> list[tuple[int, int]]:
    """(start, length) of each run of equal labels, a new run also at each of ``breaks``."""
    runs: list[tuple[int, int]] = []
    for j, label in enumerate(labels):
        if runs and j not in breaks and label == labels[runs[-1][0]]:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((j, 1))
    return runs


def styler_latex(styler: Styler) -> str:
    """The table a Styler shows (its formatted cells, hidden rows and columns left out),
    as a LaTeX tabular with booktabs rules, shrunk to the line width when wider.

    The cells come from ``Styler.to_string``, so the PDF prints exactly the text the
    site's HTML table prints. Columns whose body cells are all numbers align right.
    Labels of several levels are written in full first (a sparse ``to_string`` leaves out
    the cells a label spans, which shifted the cells after it), then shown once as the
    HTML shows them: an upper column label centred over the columns it spans, an index
    label only where it changes.
    """
    with pd.option_context("styler.sparse.columns", False, "styler.sparse.index", False):
        text = styler.to_string(delimiter="\x1f")
    rows = [line.split("\x1f") for line in text.splitlines()]
    columns_shown = not (styler.hide_columns_ and all(styler.hide_columns_))
    shows_index = not all(styler.hide_index_)
    names_shown = shows_index and not styler.hide_index_names
    names_row = names_shown and any(name is not None for name in styler.index.names)
    header_rows = (styler.columns.nlevels if columns_shown else 0) + int(names_row)
    head, body = rows[:header_rows], rows[header_rows:]
    width = max(len(row) for row in rows)
    head = [row + [""] * (width - len(row)) for row in head]
    body = [row + [""] * (width - len(row)) for row in body]
    n_index = styler.index.nlevels if shows_index else 0
    if len(head) == 2 and n_index and not any(head[1][n_index:]) and not any(head[0][:n_index]):
        head = [head[1][:n_index] + head[0][n_index:]]  # index names beside the column labels
    align = "".join(
        "l" if j < n_index or not all(_NUMBER.match(row[j].strip()) for row in body) else "r"
        for j in range(width)
    )
    # An index label is shown where it changes, or where a label to its left changes.
    for i in range(len(body) - 1, 0, -1):
        for j in range(n_index - 1):  # the last level is shown on every row
            if body[i][: j + 1] == body[i - 1][: j + 1]:
                body[i][j] = ""

    def line(cells: list[str]) -> str:
        return " & ".join(latex_escape(cell) for cell in cells) + r" \\"

    # An upper column label spans its run of columns; a run also ends where a label of a
    # level above it changes.
    upper = styler.columns.nlevels - 1 if columns_shown and len(head) > 1 else 0
    head_lines, breaks = [], {n_index}
    for r, row in enumerate(head):
        if r >= upper:
            head_lines.append(line(row))
            continue
        runs = _runs(row[n_index:], {j - n_index for j in breaks if j >= n_index})
        cells = [latex_escape(cell) for cell in row[:n_index]]
        rules = []
        for start, length in runs:
            label = latex_escape(row[n_index + start])
            cells.append(rf"\multicolumn{{{length}}}{{c}}{{{label}}}" if length > 1 else label)
            if length > 1 and label:
                first = n_index + start + 1  # LaTeX counts columns from 1
                rules.append(rf"\cmidrule(lr){{{first}-{first + length - 1}}}")
            breaks.add(n_index + start)
        head_lines.append(" & ".join(cells) + r" \\" + ("".join(f" {rule}" for rule in rules)))

    return "\n".join(
        [
            LATEX_TABLE_MARK,
            r"\begin{center}",
            r"\begin{adjustbox}{max width=\linewidth}",
            rf"\begin{{tabular}}{{{align}}}",
            r"\toprule",
            *head_lines,
            *([r"\midrule"] if head else []),
            *(line(row) for row in body),
            r"\bottomrule",
            r"\end{tabular}",
            r"\end{adjustbox}",
            r"\end{center}",
        ]
    )


def frame_latex(frame: pd.DataFrame) -> str | None:
    """A plain DataFrame as the same LaTeX table, its cells formatted as its HTML shows
    them (pandas' column-wise formatting under the ``display`` options); ``None`` for a
    frame too long to show whole, which then prints as text."""
    from pandas.io.formats.format import DataFrameFormatter

    shown = DataFrameFormatter(
        frame,
        float_format=pd.get_option("display.float_format"),
        max_rows=pd.get_option("display.max_rows"),
        min_rows=pd.get_option("display.min_rows"),
        max_cols=pd.get_option("display.max_columns"),
    )
    if shown.is_truncated:
        return None
    cells = pd.DataFrame(
        {j: [cell.strip() for cell in shown.format_col(j)] for j in range(frame.shape[1])},
        index=frame.index,
    )
    cells.columns = frame.columns
    return styler_latex(cells.style)


def _register_latex_tables() -> None:
    """In an IPython kernel, give every Styler and DataFrame a ``text/latex`` rendering."""
    try:
        from IPython import get_ipython
    except ImportError:  # no IPython, no kernel: nothing is displayed
        return
    shell = get_ipython()
    if shell is not None:  # by name: pandas' Styler (and jinja2) load only when used
        latex = shell.display_formatter.formatters["text/latex"]
        latex.for_type_by_name("pandas.io.formats.style", "Styler", styler_latex)
        latex.for_type(pd.DataFrame, frame_latex)


_register_latex_tables()
