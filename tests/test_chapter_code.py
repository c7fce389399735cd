"""The code a reader sees in a chapter makes sense on its own.

Removed cells (``remove-cell``, ``remove-input``) hold a chapter's publishing and
pinning plumbing; folded cells (``hide-input``, such as the set-up cell with the imports)
count as visible, since a click shows them. A visible cell that uses a variable assigned
only in a removed cell shows the reader a name that comes from nowhere, so every such
name must be assigned in visible code first. Imported names and the MiniModel ``mm``
are exempt.

Every code line, hidden cells included, fits the page's text column: at most
``CODE_WIDTH`` (80) characters, so no code cell scrolls sideways on the site or runs
off the PDF's page. ``make format-chapters`` wraps what a formatter can; long strings
and comments are wrapped by hand.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import jupytext
import pytest

CHAPTERS = sorted((Path(__file__).resolve().parents[1] / "chapters").glob("*.md"))
HIDDEN_TAGS = {"remove-cell", "remove-input"}
#: The longest code line a chapter may have (the text column at a 1280-pixel window).
CODE_WIDTH = 80


def _names(source: str) -> tuple[set[str], set[str], list[str]]:
    """(assigned, imported, used) names of one cell."""
    assigned, imported, used = set(), set(), []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            (assigned.add(node.id) if isinstance(node.ctx, ast.Store) else used.append(node.id))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            assigned.add(node.name)
        elif isinstance(node, ast.arg):
            assigned.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imported |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return assigned, imported, used


def names_from_hidden_cells(chapter: Path) -> list[str]:
    """Variables that visible cells use but only hidden cells have assigned so far."""
    visible, hidden, imported = set(), set(), {"mm"}
    strays = []
    for cell in jupytext.read(chapter, fmt="md:myst").cells:
        if cell.cell_type != "code":
            continue
        assigned, imports, used = _names(cell.source)
        imported |= imports
        if HIDDEN_TAGS & set(cell.metadata.get("tags", [])):
            hidden |= assigned
            continue
        strays += [
            name
            for name in used
            if name in hidden and name not in visible | assigned | imported and not hasattr(builtins, name)
        ]
        visible |= assigned
    return sorted(set(strays))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_visible_code_uses_no_name_defined_only_in_hidden_cells(chapter):
    assert names_from_hidden_cells(chapter) == []


def test_the_check_catches_a_name_from_a_hidden_cell(tmp_path):
    front_matter = CHAPTERS[0].read_text(encoding="utf-8").split("\n---\n")[0] + "\n---\n"
    chapter = tmp_path / "toy.md"
    chapter.write_text(
        front_matter + "\n```{code-cell} ipython3\n:tags: [remove-cell]\n\nimport numpy as np\n"
        "secret = np.ones(3)\n```\n\n```{code-cell} ipython3\nshown = 2 * secret\n```\n",
        encoding="utf-8",
    )
    assert names_from_hidden_cells(chapter) == ["secret"]


def long_code_lines(chapter: Path, limit: int = CODE_WIDTH) -> list[str]:
    """``"line N (L characters)"`` for each code line longer than ``limit``."""
    long = []
    for cell in jupytext.read(chapter, fmt="md:myst").cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            if len(line) > limit:
                long.append(f"{len(line)} characters: {line.strip()[:60]}")
    return long


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_every_code_line_fits_the_text_column(chapter):
    assert long_code_lines(chapter) == [], (
        f"code lines over {CODE_WIDTH} characters: run `make format-chapters`, then "
        "wrap long strings and comments by hand"
    )


def test_the_width_check_counts_hidden_cells(tmp_path):
    front_matter = CHAPTERS[0].read_text(encoding="utf-8").split("\n---\n")[0] + "\n---\n"
    chapter = tmp_path / "toy.md"
    long_line = "x = " + " + ".join(["1"] * 40)
    chapter.write_text(
        front_matter + "\n```{code-cell} ipython3\n:tags: [remove-cell]\n\n"
        f"{long_line}\n```\n\n```{{code-cell}} ipython3\nshort = 1\n```\n",
        encoding="utf-8",
    )
    assert len(long_line) > CODE_WIDTH
    assert len(long_code_lines(chapter)) == 1
