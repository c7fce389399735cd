"""What the PDF edition is made from, without building it: a Styler's LaTeX table and the
shown code with the publishing statements taken out (tests/test_pdf.py checks the PDF)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from mini.book import LATEX_TABLE_MARK, frame_latex, latex_escape, styler_latex

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from book_site.latex import TABLE_MARK, without_plumbing  # noqa: E402


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"industry": ["Tech", "Fin_1"], "cap ($bn)": [1.234, 20.5], "weight": [0.1234, -0.5]},
        index=pd.Index(["AXIOM", "BRAVO"], name="stock"),
    )


def _rows(latex: str) -> list[str]:
    lines = latex.splitlines()
    return lines[lines.index(r"\toprule") + 1 : lines.index(r"\bottomrule")]


def test_the_extension_recognises_the_library_s_tables():
    assert TABLE_MARK == LATEX_TABLE_MARK


def test_styler_latex_prints_the_formatted_cells_escaped(frame):
    latex = styler_latex(frame.style.format({"cap ($bn)": "{:.0f}", "weight": "{:+.2%}"}))
    assert latex.startswith(LATEX_TABLE_MARK)
    assert r"\begin{tabular}{llrr}" in latex  # text left, numbers right
    assert _rows(latex) == [
        r"stock & industry & cap (\$bn) & weight \\",  # the index name beside the labels
        r"\midrule",
        r"AXIOM & Tech & 1 & +12.34\% \\",
        r"BRAVO & Fin\_1 & 20 & -50.00\% \\",
    ]
    assert r"\begin{adjustbox}{max width=\linewidth}" in latex


def test_styler_latex_leaves_out_what_the_styler_hides(frame):
    latex = styler_latex(
        frame.style.format(precision=1).hide(axis="index").hide(["industry"], axis="columns")
    )
    assert _rows(latex) == [r"cap (\$bn) & weight \\", r"\midrule", r"1.2 & 0.1 \\", r"20.5 & -0.5 \\"]


def test_styler_latex_of_a_transposed_row(frame):
    latex = styler_latex(frame[["weight"]].T.style.format("{:.1%}"))
    assert _rows(latex) == [r"stock & AXIOM & BRAVO \\", r"\midrule", r"weight & 12.3\% & -50.0\% \\"]


def test_frame_latex_formats_cells_as_the_html_does():
    frame = pd.DataFrame({"a": [1.5, 2.25], "n": [3, 40], "tiny": [1e-9, 3.0]}, index=["x", "y"])
    assert _rows(frame_latex(frame)) == [
        r" & a & n & tiny \\",
        r"\midrule",
        r"x & 1.50 & 3 & 1.000000e-09 \\",
        r"y & 2.25 & 40 & 3.000000e+00 \\",
    ]
    assert "<td>2.25</td>" in frame.to_html() and "<td>1.000000e-09</td>" in frame.to_html()


def test_frame_latex_leaves_a_truncated_frame_as_text():
    with pd.option_context("display.max_rows", 4):
        assert frame_latex(pd.DataFrame({"a": range(10)})) is None


def test_latex_escape_writes_special_characters_literally():
    assert latex_escape(r"50% of $x_1 & {y} #2 ~^\ ") == (
        r"50\% of \$x\_1 \& \{y\} \#2 \textasciitilde{}\textasciicircum{}\textbackslash{} "
    )


def test_without_plumbing_keeps_what_a_reader_needs():
    source = "\n".join(
        [
            "from mini.book import publish, pinned",
            "d = decompose(model, weights)",
            'publish("ex-vol", d.total_vol)',
            "publish(",
            '    "ex-beta",',
            "    d.beta,",
            ")",
            "",
            "for label, x in d.items():",
            '    publish(f"ex-{label}", x)',
            "",
            "for label, x in d.items():",
            "    total += x",
            '    pinned(x, "1.00", ".2f")',
            'print(f"{d.total_vol:.2%}")',
        ]
    )
    assert without_plumbing(source).splitlines() == [
        "d = decompose(model, weights)",
        "",
        "for label, x in d.items():",
        "    total += x",
        'print(f"{d.total_vol:.2%}")',
    ]


def test_without_plumbing_empties_a_publishing_cell_and_spares_the_rest():
    assert without_plumbing('publish_all(values, prefix="a-")\nglue("b", 1)') == ""
    kept = "x = published(1)\nfrom mini.book import publish, snap_to_zero\ny = snap_to_zero(x)"
    assert without_plumbing(kept) == kept  # the import also brings a helper the code uses
    magic = 'publish("a", 1)\n%time y = 2'
    assert without_plumbing(magic) == magic  # not Python: left alone
    assert without_plumbing("x = 1\n# publish( in a comment\n") == "x = 1\n# publish( in a comment\n"


def test_styler_latex_keeps_every_cell_under_its_labels_with_several_levels():
    """Two levels of column labels and of index labels: each number stays under its own
    column (a sparse to_string left out the cells a label spans and shifted the rest), an
    upper label is centred over its columns, an index label is shown where it changes."""
    columns = pd.MultiIndex.from_product([["portfolio", "active"], ["risk", "share"]])
    index = pd.MultiIndex.from_product([["1987", "2009"], ["A", "B"]], names=["year", "stock"])
    frame = pd.DataFrame([[float(4 * i + j) for j in range(4)] for i in range(4)], index, columns)
    assert _rows(styler_latex(frame.style.format("{:.1f}"))) == [
        r" &  & \multicolumn{2}{c}{portfolio} & \multicolumn{2}{c}{active} \\"
        r" \cmidrule(lr){3-4} \cmidrule(lr){5-6}",
        r" &  & risk & share & risk & share \\",
        r"year & stock &  &  &  &  \\",
        r"\midrule",
        r"1987 & A & 0.0 & 1.0 & 2.0 & 3.0 \\",
        r" & B & 4.0 & 5.0 & 6.0 & 7.0 \\",
        r"2009 & A & 8.0 & 9.0 & 10.0 & 11.0 \\",
        r" & B & 12.0 & 13.0 & 14.0 & 15.0 \\",
    ]


def test_styler_latex_ends_a_label_s_span_where_the_level_above_changes():
    columns = pd.MultiIndex.from_tuples([("x", "a", "p"), ("x", "a", "q"), ("y", "a", "p")])
    frame = pd.DataFrame([[1.0, 2.0, 3.0]], index=["r"], columns=columns)
    head = _rows(styler_latex(frame.style.format("{:.0f}")))[:3]
    assert head == [
        r" & \multicolumn{2}{c}{x} & y \\ \cmidrule(lr){2-3}",
        r" & \multicolumn{2}{c}{a} & a \\ \cmidrule(lr){2-3}",  # not one run of three
        r" & p & q & p \\",
    ]
