"""The PDF edition reads like the site (``make pdf``, Sphinx's LaTeX builder).

Two things the site does in the browser have no LaTeX counterpart out of the box:

1. **Styled tables.** A pandas Styler displays as HTML, which the LaTeX build cannot use:
   it printed the Styler's repr (``<pandas.io.formats.style.Styler at 0x…>``) instead.
   ``mini.book`` gives every Styler a ``text/latex`` rendering as well (a booktabs tabular
   of the same formatted cells). myst-nb renders any ``text/latex`` output as display
   math, so here the tables it marked are turned back into raw LaTeX. Glued tables
   (``{glue}``) arrive the same way.
2. **Publishing code.** The site folds or removes the cells that glue and pin figures,
   and keeps exercise solutions in closed dropdowns; a PDF has no dropdowns, so every
   solution is printed open. Inside the code a reader does see, the statements that only
   feed the prose (``publish(...)``, ``publish_all(...)``, ``pinned(...)``, ``glue(...)``,
   and imports of those helpers) are left out of the PDF; a cell with nothing else is
   shown as its output alone. Folded cells (``hide-input``, ``hide-cell``) are left out by
   sphinx-jupyterbook-latex, and ``remove-*`` tags by myst-nb, for every builder.

Nothing here runs for the HTML builder.
"""

from __future__ import annotations

import ast
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms.post_transforms import SphinxPostTransform

# Must match mini.book.LATEX_TABLE_MARK (the first line of a Styler's LaTeX rendering);
# not imported, so that the extension does not depend on the library it documents.
TABLE_MARK = "% mini.book table"
PLUMBING = frozenset({"publish", "publish_all", "pinned", "glue"})
PLUMBING_MODULES = frozenset({"mini.book", "myst_nb"})


def _is_plumbing(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        func = statement.value.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        return name in PLUMBING
    if isinstance(statement, ast.ImportFrom) and statement.module in PLUMBING_MODULES:
        return all(alias.name in PLUMBING for alias in statement.names)
    return False


def _plumbing_lines(statements: list[ast.stmt]) -> tuple[set[int], bool]:
    """Line numbers (1-based) of the plumbing among ``statements``, and whether that
    is all of them (then the block that holds them goes too)."""
    lines: set[int] = set()
    kept = 0
    for statement in statements:
        bodies = [
            getattr(statement, field)
            for field in ("body", "orelse", "finalbody")
            if isinstance(getattr(statement, field, None), list) and getattr(statement, field)
        ]
        if _is_plumbing(statement):
            whole = True
        elif bodies and not isinstance(statement, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            found = [_plumbing_lines(body) for body in bodies]
            whole = all(empty for _, empty in found)
            if not whole:
                for inner, _ in found:
                    lines |= inner
        else:
            whole = False
        if whole:
            lines |= set(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))
        else:
            kept += 1
    return lines, kept == 0


def without_plumbing(source: str) -> str:
    """``source`` with the statements that only publish figures taken out.

    A loop or branch whose body is nothing but such statements goes as a whole. Blank
    lines left behind are collapsed. Code that does not parse is returned unchanged.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    drop, _ = _plumbing_lines(tree.body)
    if not drop:
        return source
    kept: list[str] = []
    for number, line in enumerate(source.splitlines(), start=1):
        if number in drop or (not line.strip() and kept and not kept[-1].strip()):
            continue
        kept.append(line)
    return "\n".join(kept).strip("\n")


class PdfReadsLikeTheSite(SphinxPostTransform):
    """Raw LaTeX for the tables, no publishing statements in the code (LaTeX only)."""

    builders = ("latex",)
    default_priority = 20  # after myst-nb picks each output's mime type (priority 4)

    def run(self, **kwargs: Any) -> None:
        for math in list(self.document.findall(nodes.math_block)):
            text = math.astext()
            if text.lstrip().startswith(TABLE_MARK):
                math.replace_self(nodes.raw("", text, format="latex"))

        for source in list(self.document.findall(_is_cell_source)):
            for block in list(source.findall(nodes.literal_block)):
                shown = without_plumbing(block.astext())
                if shown == block.astext():
                    continue
                if not shown.strip():
                    block.parent.remove(block)
                    continue
                replacement = nodes.literal_block(shown, shown, **block.attributes)
                block.replace_self(replacement)
            if not list(source.findall(nodes.literal_block)):
                source.parent.remove(source)


def _is_cell_source(node: nodes.Node) -> bool:
    return isinstance(node, nodes.container) and node.get("nb_element") == "cell_code_source"


# FreeMono, Sphinx's monospace font under XeLaTeX, lacks characters the code uses (a
# superscript T in a comment); DejaVu Sans Mono (fonts-dejavu-core) has them.
MONO_FONT = r"\setmonofont{DejaVu Sans Mono}[Scale=MatchLowercase]"


def code_font(app: Sphinx, config: Config) -> None:
    elements = config.latex_elements
    preamble = elements.get("preamble", "")
    if MONO_FONT not in preamble:
        elements["preamble"] = preamble + "\n" + MONO_FONT + "\n"


def remember_numbering(app: Sphinx, config: Config) -> None:
    app.book_numfig_secnum_depth = config.numfig_secnum_depth


def number_as_the_site_does(app: Sphinx) -> None:
    """Exercises numbered by chapter (Exercise 1.2), as on the site.

    For a book with parts, sphinx-jupyterbook-latex sets ``numfig_secnum_depth`` to 2
    when the builder starts. LaTeX needs that (its figure and equation counters then
    restart with each chapter, not each part: Fig. 6.1), but Sphinx's own numbering, which
    sphinx-exercise uses, would then count by section (Exercise 1.7.2). So Sphinx numbers
    with the site's depth, and the LaTeX writer gets the depth it needs afterwards.
    """
    if app.builder.format == "latex":
        app.book_latex_numfig_secnum_depth = app.config.numfig_secnum_depth
        app.config.numfig_secnum_depth = app.book_numfig_secnum_depth


def latex_numbering(app: Sphinx, env) -> list[str]:
    """Sphinx has numbered everything (``env-get-updated``): LaTeX gets its depth back."""
    if app.builder.format == "latex":
        app.config.numfig_secnum_depth = app.book_latex_numfig_secnum_depth
    return []


def setup(app: Sphinx) -> None:
    app.connect("config-inited", code_font)
    app.connect("config-inited", remember_numbering)
    app.connect("builder-inited", number_as_the_site_does, priority=900)
    app.connect("env-get-updated", latex_numbering, priority=900)  # after the numbering
    app.add_latex_package("booktabs")  # \toprule, \midrule, \bottomrule
    app.add_latex_package("adjustbox")  # wide tables shrink to the text width
    app.add_post_transform(PdfReadsLikeTheSite)
