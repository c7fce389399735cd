"""Write ``llms.txt`` and ``llms-full.txt`` into the site root at the end of an HTML build.

``llms.txt`` follows the llmstxt.org layout: the book's title, a one-paragraph summary,
then one section per part listing its chapters as links with a one-line summary (the
first sentence of the chapter's opening paragraph).

``llms-full.txt`` is the whole book as one Markdown file. It is rendered from the
*resolved* doctrees, the same trees the HTML pages are written from, so every glued
figure appears as the value the reader sees (never as a ``{glue:text}`` role), every
cross-reference as its text ("Fig. 2.1", "(2.3)"), every citation as its author-year text
("(Newey and West, 1987)"), every bibliography entry as a list item ("- [1] ..."), every
figure as an image link into ``_images/`` with its number and caption, and every equation
as TeX with its number.
Both files are regenerated on every build, including a rebuild with nothing changed
(the doctrees are read back from the environment; no chapter is executed).
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)


# --- book structure ---------------------------------------------------------------------


def book_structure(app: Sphinx) -> list[tuple[str | None, list[str]]]:
    """[(part caption, [docname, ...]), ...] in reading order, from the root's toctrees."""
    env = app.env
    root = app.config.root_doc
    parts: list[tuple[str | None, list[str]]] = []
    for toctree in env.get_doctree(root).findall(addnodes.toctree):
        docs = [ref for _title, ref in toctree["entries"] if ref in env.all_docs]
        parts.append((toctree.get("caption"), docs))
    return parts


def page_url(app: Sphinx, docname: str) -> str:
    return app.builder.get_target_uri(docname)


def chapter_title(app: Sphinx, docname: str) -> str:
    title = app.env.titles[docname].astext()
    number = app.env.toc_secnumbers.get(docname, {}).get("")
    return f"{'.'.join(map(str, number))}. {title}" if number else title


def first_sentence(doctree: nodes.document, limit: int = 220, whole: bool = False) -> str:
    """The first sentence (or ``whole`` paragraph) of the first prose paragraph.

    Paragraphs inside notes, code cells, tables, figures and lists do not count.
    """
    skip = (nodes.Admonition, nodes.container, nodes.table, nodes.Sequential, nodes.figure)
    for paragraph in doctree.findall(nodes.paragraph):
        ancestor, inside = paragraph.parent, False
        while ancestor is not None:
            if isinstance(ancestor, skip) or type(ancestor).__name__.endswith("_node"):
                inside = True
                break
            ancestor = ancestor.parent
        if inside:
            continue
        text = " ".join(paragraph.astext().split())
        if len(text) < 20:
            continue
        match = re.match(r"(.+?[.?!])(\s|$)", text)
        sentence = match.group(1) if match and not whole else text
        if len(sentence) > limit:
            sentence = sentence[: limit - 1].rsplit(" ", 1)[0] + "…"
        return sentence
    return ""


# --- doctree to Markdown ----------------------------------------------------------------


class _TableHTML(HTMLParser):
    """Rows of cell texts from an HTML table (pandas' ``to_html`` output); ignores style."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.header_rows = 0
        self._cell: list[str] | None = None
        self._in_head = False
        self._skip = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self.rows.append([])
            if self._in_head:
                self.header_rows += 1
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        else:
            self.text.append(data)


def _pipe_table(rows: list[list[str]], header_rows: int = 1) -> str:
    rows = [r for r in rows if r]
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    rows = [r + [""] * (width - len(r)) for r in rows]
    header_rows = max(1, min(header_rows, len(rows)))
    # Several header rows (pandas puts the index name on a row of its own): merge them,
    # naming a column once where the index and the columns share a name ("stock").
    header = [
        " ".join(dict.fromkeys(filter(None, col))).strip() for col in zip(*rows[:header_rows], strict=False)
    ]
    cell = lambda s: s.replace("|", r"\|")  # noqa: E731
    lines = ["| " + " | ".join(cell(c) for c in header) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows[header_rows:]]
    return "\n".join(lines)


def html_to_markdown(html: str) -> str:
    parser = _TableHTML()
    parser.feed(html)
    if parser.rows:
        return _pipe_table(parser.rows, parser.header_rows)
    return " ".join("".join(parser.text).split())


class MarkdownRenderer:
    """Render one resolved doctree as Markdown (a small, forgiving subset of docutils)."""

    def __init__(self, app: Sphinx, docname: str, heading_offset: int = 0) -> None:
        self.app = app
        self.docname = docname
        self.env = app.env
        self.fignumbers = self.env.toc_fignumbers.get(docname, {})
        self.secnumbers = self.env.toc_secnumbers.get(docname, {})
        self.heading_offset = heading_offset
        uri = app.builder.get_target_uri(docname)
        self.depth_to_root = uri.count("/")
        self.copied_images = {unique for _docs, unique in self.env.images.values()}

    # -- helpers
    def number(self, figtype: str, node: nodes.Element) -> str:
        for node_id in node.get("ids", []):
            number = self.fignumbers.get(figtype, {}).get(node_id)
            if number:
                return ".".join(map(str, number))
        return ""

    def image_path(self, node: nodes.image) -> str:
        uri = node.get("uri", "")
        if uri in self.env.images:
            return "_images/" + self.env.images[uri][1]
        # A doctree the HTML writer has been through: it rewrote the URI to the copy
        # under _images/, relative to the page (e.g. ../_images/<name>.png).
        name = posixpath.basename(uri)
        if posixpath.basename(posixpath.dirname(uri)) == "_images" and name in self.copied_images:
            return "_images/" + name
        if "://" in uri:
            return uri
        return uri

    # -- inline content
    def inline(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.Text):
            return node.astext()
        if isinstance(node, nodes.math):
            return f"${node.astext()}$"
        if isinstance(node, nodes.literal):
            return f"`{node.astext()}`"
        if isinstance(node, nodes.strong):
            return f"**{self.inlines(node)}**"
        if isinstance(node, nodes.emphasis):
            return f"*{self.inlines(node)}*"
        if isinstance(node, nodes.reference):
            text = self.inlines(node)
            uri = node.get("refuri", "")
            if uri.startswith(("http://", "https://", "mailto:")) and text != uri:
                return f"[{text}]({uri})"
            return text
        if isinstance(node, nodes.image):
            return f"![{node.get('alt', '')}]({self.image_path(node)})"
        if isinstance(node, (nodes.footnote_reference, nodes.target, nodes.system_message)):
            return ""
        if isinstance(node, nodes.raw):
            return html_to_markdown(node.astext()) if node.get("format") == "html" else ""
        if isinstance(node, nodes.Element):
            return self.inlines(node)
        return ""

    def inlines(self, node: nodes.Element) -> str:
        return "".join(self.inline(child) for child in node.children)

    def paragraph_text(self, node: nodes.Element) -> str:
        text = self.inlines(node)
        # Source line breaks inside a paragraph become spaces; keep the Markdown compact.
        return re.sub(r"[ \t]*\n[ \t]*", " ", text).strip()

    # -- block content
    def blocks(self, node: nodes.Element, level: int) -> list[str]:
        out: list[str] = []
        for child in node.children:
            out.extend(self.block(child, level))
        return out

    def block(self, node: nodes.Node, level: int) -> list[str]:  # noqa: C901 (a dispatcher)
        name = type(node).__name__
        if isinstance(
            node, (nodes.target, nodes.comment, nodes.system_message, nodes.substitution_definition)
        ):
            return []
        if isinstance(node, nodes.compound) and "toctree-wrapper" in node.get("classes", []):
            return []  # the table of contents: llms-full.txt itself follows the parts
        if isinstance(node, nodes.section):
            return self.section(node, level)
        if isinstance(node, nodes.title):
            return []
        if isinstance(node, nodes.paragraph):
            text = self.paragraph_text(node)
            return [text] if text else []
        if isinstance(node, nodes.math_block):
            number = self.number("displaymath", node)
            tag = f" \\tag{{{number}}}" if number else ""
            return [f"$$\n{node.astext().strip()}{tag}\n$$"]
        if isinstance(node, nodes.literal_block):
            classes = node.get("classes", [])
            language = "" if "output" in classes else node.get("language", "")
            language = "python" if language in ("ipython3", "ipython") else language
            language = "" if language in ("myst-ansi", "none", "default") else language
            fence = "```"
            while fence in node.astext():
                fence += "`"
            return [f"{fence}{language}\n{node.astext().rstrip()}\n{fence}"]
        if isinstance(node, nodes.raw):
            if node.get("format") == "html":
                text = html_to_markdown(node.astext())
                return [text] if text else []
            return []
        if isinstance(node, nodes.image):
            return [self.inline(node)]
        if isinstance(node, nodes.figure):
            return self.figure(node, level)
        if isinstance(node, nodes.table):
            return [self.table(node)]
        if isinstance(node, (nodes.bullet_list, nodes.enumerated_list)):
            return [self.list_(node, level)]
        if isinstance(node, nodes.definition_list):
            return self.definition_list(node, level)
        if isinstance(node, nodes.citation):
            return [self.citation(node)]
        if isinstance(node, nodes.Admonition) or name in (
            "exercise_enumerable_node",
            "exercise_node",
            "solution_node",
        ):
            return self.admonition(node, level)
        if isinstance(node, (nodes.block_quote,)):
            return [self.quote("\n\n".join(self.blocks(node, level)))]
        if isinstance(node, addnodes.compact_paragraph):
            text = self.paragraph_text(node)
            return [text] if text else []
        if isinstance(node, nodes.Element):
            return self.blocks(node, level)
        return []

    def section(self, node: nodes.section, level: int) -> list[str]:
        title = node.next_node(nodes.title)
        text = self.inlines(title).strip() if title is not None else ""
        anchor = "#" + node["ids"][0] if node.get("ids") else ""
        number = self.secnumbers.get(anchor) if level > 1 else self.secnumbers.get("")
        if number:
            text = (
                f"{'.'.join(map(str, number))}. {text}"
                if level == 1
                else f"{'.'.join(map(str, number))} {text}"
            )
        body = [block for block in self.blocks(node, level + 1) if block.strip()]
        if not text:  # an untitled section (the body of an exercise): just its content
            return body
        if not body:  # e.g. "Contents" above a table of contents that is not reproduced
            return []
        hashes = "#" * min(6, level + self.heading_offset)
        return [f"{hashes} {text}"] + body

    def figure(self, node: nodes.figure, level: int) -> list[str]:
        images = list(node.findall(nodes.image))
        caption = node.next_node(nodes.caption)
        caption_text = self.paragraph_text(caption) if caption is not None else ""
        number = self.number("figure", node)
        label = f"Fig. {number}: " if number else ""
        # The figure's own alt text (``:alt:`` of its ``{glue:figure}``), as on the page;
        # the caption stands in for a figure that has none.
        fallback = (label + caption_text).strip() or "figure"
        out = [
            f"![{' '.join(image.get('alt', '').split()) or fallback}]({self.image_path(image)})"
            for image in images
        ]
        if caption_text:
            out.append(f"*{label}{caption_text}*")
        return out

    def table(self, node: nodes.table) -> str:
        rows, header_rows = [], 0
        for part in node.findall(lambda n: isinstance(n, (nodes.thead, nodes.tbody))):
            for row in part.findall(nodes.row):
                cells = [
                    " ".join(
                        self.paragraph_text(p) if isinstance(p, nodes.paragraph) else self.inlines(p)
                        for p in entry.children
                    )
                    for entry in row.findall(nodes.entry)
                ]
                rows.append(cells)
                if isinstance(part, nodes.thead):
                    header_rows += 1
        return _pipe_table(rows, header_rows or 1)

    def list_(self, node: nodes.Element, level: int) -> str:
        lines = []
        for index, item in enumerate(node.children, start=node.get("start", 1)):
            marker = f"{index}." if isinstance(node, nodes.enumerated_list) else "-"
            body = "\n\n".join(self.blocks(item, level)) if isinstance(item, nodes.Element) else ""
            indent = " " * (len(marker) + 1)
            body = body.replace("\n", "\n" + indent)
            lines.append(f"{marker} {body}")
        return "\n".join(lines)

    def citation(self, node: nodes.citation) -> str:
        """A bibliography entry (sphinxcontrib-bibtex) as one list item: ``- [label] text``."""
        label = next((c for c in node.children if isinstance(c, nodes.label)), None)
        paragraph = next((c for c in node.children if isinstance(c, nodes.paragraph)), None)
        body = self.paragraph_text(paragraph) if paragraph is not None else ""
        return f"- [{label.astext().strip()}] {body}" if label is not None else f"- {body}"

    def definition_list(self, node: nodes.Element, level: int) -> list[str]:
        out = []
        for item in node.findall(nodes.definition_list_item):
            # A glossary entry may name several terms for one definition ("MCR", "CTR").
            terms = [child for child in item.children if isinstance(child, nodes.term)]
            definition = item.next_node(nodes.definition)
            term_text = ", ".join(self.paragraph_text(term) for term in terms)
            body = "\n\n".join(self.blocks(definition, level)) if definition is not None else ""
            out.append(f"**{term_text}**\n: " + body.replace("\n", "\n  "))
        return out

    def admonition(self, node: nodes.Element, level: int) -> list[str]:
        name = type(node).__name__
        title_node = next((c for c in node.children if isinstance(c, nodes.title)), None)
        title = self.paragraph_text(title_node) if title_node is not None else ""
        if name == "exercise_enumerable_node":
            number = self.number("exercise", node)
            title = f"Exercise {number}".strip() + (f" ({title})" if title and title != "Exercise" else "")
        elif name == "solution_node":
            target = node.get("target_label", "")
            number = ".".join(map(str, self.fignumbers.get("exercise", {}).get(target, ())))
            title = f"Solution to Exercise {number}".strip()
        elif not title:
            title = name.replace("_", " ").capitalize()
        body = "\n\n".join(self.blocks(node, level))
        return [self.quote(f"**{title}**\n\n{body}")]

    @staticmethod
    def quote(text: str) -> str:
        return "\n".join(("> " + line).rstrip() for line in text.splitlines())

    def render(self, doctree: nodes.document) -> str:
        blocks = (block.strip("\n") for block in self.blocks(doctree, 1))
        return "\n\n".join(block for block in blocks if block.strip()) + "\n"


# --- the two files -----------------------------------------------------------------------


def note_page_written(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Count the pages this build writes (html-page-context fires once per page), and
    render each page's Markdown from the resolved doctree the HTML writer already holds:
    resolving all of them again at the end of the build took a quarter of its time."""
    app.book_site_pages_written = getattr(app, "book_site_pages_written", 0) + 1
    if doctree is not None and pagename in app.env.all_docs:
        rendered = getattr(app, "book_site_markdown", {})
        rendered[pagename] = _page_markdown(app, pagename, doctree)
        app.book_site_markdown = rendered


def _page_markdown(app: Sphinx, docname: str, doctree: nodes.document) -> tuple[str, str]:
    """(summary sentence, Markdown) of one page: the root's summary is longer, and its
    headings keep their level while the chapters' move down one under their part."""
    if docname == app.config.root_doc:
        return first_sentence(doctree, limit=600, whole=True), MarkdownRenderer(app, docname).render(doctree)
    return first_sentence(doctree), MarkdownRenderer(app, docname, heading_offset=1).render(doctree)


def _markdown_of(app: Sphinx, docname: str) -> tuple[str, str]:
    """The page's Markdown as rendered while it was written, or (a page this build did
    not write) from its doctree, resolved now."""
    rendered = getattr(app, "book_site_markdown", {})
    if docname in rendered:
        return rendered[docname]
    return _page_markdown(app, docname, app.env.get_and_resolve_doctree(docname, app.builder))


def _renderer_stamp() -> str:
    # The files depend on the doctrees and on this module: a change here rewrites them.
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def write_llms_files(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html":
        return
    outdir, stamp = Path(app.outdir), Path(app.doctreedir) / "llms.stamp"
    unchanged = (
        getattr(app, "book_site_pages_written", 0) == 0
        and (outdir / "llms.txt").is_file()
        and (outdir / "llms-full.txt").is_file()
        and stamp.is_file()
        and stamp.read_text(encoding="utf-8") == _renderer_stamp()
    )
    if unchanged:  # a build that wrote no page: the files on disk describe this book
        LOGGER.info("[book_site] llms.txt and llms-full.txt are up to date")
        return
    root = app.config.root_doc
    title = app.config.html_title or app.config.project
    summary, root_markdown = _markdown_of(app, root)

    index = [f"# {title}", "", f"> {summary}", ""]
    index += [
        "Every chapter is a MyST Markdown notebook; each page can be downloaded as `.md` "
        "and as an executed `.ipynb` (under `_sources/`). The whole book, with every "
        "computed figure filled in, is in [llms-full.txt](llms-full.txt).",
        "",
    ]
    full = [root_markdown]

    for caption, docnames in book_structure(app):
        index += [f"## {caption or 'Chapters'}", ""]
        full += [f"# {caption}" if caption else "", ""]
        for docname in docnames:
            line, markdown = _markdown_of(app, docname)
            index.append(
                f"- [{chapter_title(app, docname)}]({page_url(app, docname)}): {line or 'In preparation.'}"
            )
            full.append(f"<!-- {page_url(app, docname)} -->\n")
            full.append(markdown)
        index.append("")

    (outdir / "llms.txt").write_text("\n".join(index).rstrip() + "\n", encoding="utf-8")
    (outdir / "llms-full.txt").write_text("\n".join(full).rstrip() + "\n", encoding="utf-8")
    stamp.write_text(_renderer_stamp(), encoding="utf-8")
    LOGGER.info("[book_site] wrote llms.txt and llms-full.txt")
