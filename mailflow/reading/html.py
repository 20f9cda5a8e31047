"""HTML to readable text: inscriptis's layout, tables one row per line, http(s) anchors kept.

`html_to_text` takes a decoded HTML document (a body or an attachment) and returns its text and
the targets of its http(s) links; a document no parser can lay out keeps its words
(`strip_tags`). This module does not decode bytes (`mailflow.reading.charsets`) or choose which
part of a message is read (`mailflow.reading.mime`).
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import lxml.html
from inscriptis import Inscriptis
from inscriptis.model.config import ParserConfig

from mailflow.reading.charsets import tidy

__all__ = ["html_to_text", "strip_tags"]

_HTML_CONFIG = ParserConfig(display_links=False, display_anchors=False)
_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol")
_MAX_CELL_CHARS = 300
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]{0,300}\?>")


def html_to_text(html: str, max_chars: int) -> tuple[str, list[str]]:
    """Readable text of an HTML document (tables one row per line) and its http(s) anchors.

    ``max_chars`` caps the text kept (the HTML read is five times that).
    """
    html = html.replace("\x00", "")[: 5 * max_chars]
    if not html.strip():
        return "", []
    if html.lstrip().startswith("<?xml"):
        # XHTML as some clients send it: lxml refuses a str that declares its own encoding, and
        # the text then lost its layout.
        html = _XML_DECLARATION.sub("", html, count=1)
    try:
        tree = lxml.html.document_fromstring(html)
    except Exception:
        return tidy(strip_tags(html), max_chars), []
    links = [
        href.strip()
        for a in tree.iter("a")
        if (href := a.get("href")) and href.strip().lower().startswith(("http://", "https://"))
    ]
    _flatten_tables(tree)
    try:
        text = Inscriptis(tree, _HTML_CONFIG).get_text()
    except Exception:  # pathologically deep trees: keep the words, lose the layout
        text = " ".join(tree.text_content().split())
    lines = [line.rstrip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(line.lstrip() for line in lines)).strip()
    if not text:  # libxml2 drops what lies below its nesting limit
        text = strip_tags(html)
    return tidy(text, max_chars), links


def strip_tags(html: str) -> str:
    """The words of HTML no parser could lay out: tags dropped, entities decoded (linear time)."""
    text = unescape(re.sub(r"<[^<>]*>", " ", html))
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _flatten_tables(tree: Any) -> None:
    """Data tables: each cell on one line; layout tables: plain blocks (innermost first)."""
    for table in reversed(list(tree.iter("table"))):
        rows = [row for row in table.iter("tr") if _owner_table(row) is table]
        cells = [c for row in rows for c in row if c.tag in ("td", "th")]
        is_data = any(sum(1 for c in row if c.tag in ("td", "th")) > 1 for row in rows) and all(
            len(c.text_content()) <= _MAX_CELL_CHARS and not any(True for _ in c.iter("table"))
            for c in cells
        )
        if is_data:
            for cell in cells:
                for child in cell.iter(*_BLOCKS, "br"):
                    child.tail = " " + (child.tail or "")
                    if child.tag != "br":
                        child.tag = "span"
                        child.text = " " + (child.text or "")
        else:
            for element in [table, *table.iter("thead", "tbody", "tfoot", "tr", "td", "th")]:
                if element is table or _owner_table(element) is table:
                    element.tag = "div"


def _owner_table(element: Any) -> Any:
    parent = element.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent
