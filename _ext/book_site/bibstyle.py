"""Citation and bibliography styles of the book (sphinxcontrib-bibtex, pybtex plugins).

``author_year_round``: author-year citations in round brackets, "(Newey and West, 1987)"
and "Newey and West (1987)", instead of the default square ones.

``book``: pybtex's ``plain`` style, except that an article without page numbers keeps its
volume and issue ("*Journal of Performance Measurement*, 3(4), 1999"); ``plain`` shows the
volume only together with the pages. references.bib leaves out pages it could not check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pybtex.plugin import register_plugin
from pybtex.style.formatting import toplevel
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.formatting.unsrt import pages
from pybtex.style.template import field as bib_field
from pybtex.style.template import first_of, join, optional, optional_field, sentence, tag, words
from sphinxcontrib.bibtex.plugin import register_plugin as register_bibtex_plugin
from sphinxcontrib.bibtex.style.referencing import BracketStyle
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle


def _round() -> BracketStyle:
    return BracketStyle(left="(", right=")")


@dataclass
class RoundAuthorYearStyle(AuthorYearReferenceStyle):
    bracket_textual: BracketStyle = field(default_factory=_round)
    bracket_parenthetical: BracketStyle = field(default_factory=_round)
    bracket_author: BracketStyle = field(default_factory=_round)
    bracket_label: BracketStyle = field(default_factory=_round)
    bracket_year: BracketStyle = field(default_factory=_round)


class BookStyle(PlainStyle):
    def get_article_template(self, e):
        volume = join[bib_field("volume"), optional["(", bib_field("number"), ")"]]
        volume_and_pages = first_of[
            optional[join[volume, ":", pages]],
            optional[volume],
            words["pages", pages],
        ]
        return toplevel[
            self.format_names("author"),
            self.format_title(e, "title"),
            sentence[tag("em")[bib_field("journal")], optional[volume_and_pages], bib_field("year")],
            sentence[optional_field("note")],
            self.format_web_refs(e),
        ]


def register() -> None:
    register_bibtex_plugin(
        "sphinxcontrib.bibtex.style.referencing", "author_year_round", RoundAuthorYearStyle
    )
    register_plugin("pybtex.style.formatting", "book", BookStyle)
