"""Text and hyperlinks of the office documents and PDFs members attach: .docx, .odt and .pdf.

`read_docx` (python-docx's elements, main part only), `read_odt` (odfpy) and `read_pdf` (pypdf) each
take an attachment's bytes and return its text (paragraphs one per line, table rows as ``cell |
cell``), its http(s) hyperlinks and a problem code or None. Every reader stays inside the caps of
the read it belongs to: a .docx or .odt whose declared uncompressed size or member count is over the
caps is a ``zip_bomb`` and is never unpacked, a PDF is read up to ``max_pdf_pages`` pages, and the
time budget is checked between pages (`DocumentTimeout`). Readers may raise on broken files; the
caller turns that into ``unreadable``. `Limits` are the caps of a whole message's read and
`Budget` what is left of them while it runs (the clock); `mailflow.reading.mime` makes one per
message and passes it to every reader. This module does not walk MIME trees, choose which reader an
attachment gets, decode charsets or read .txt and .html attachments (all `mailflow.reading.mime`,
which shares its charset and HTML handling between bodies and attachments).
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Budget", "DocumentTimeout", "Limits", "read_docx", "read_odt", "read_pdf"]


@dataclass(frozen=True)
class Limits:
    """Caps that bound the work spent on one message (sizes in bytes)."""

    max_message_bytes: int = 25 * 1024 * 1024
    max_parts: int = 200  # MIME parts walked
    max_attachments: int = 50  # attachments whose text is read
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_unzipped_bytes: int = 30 * 1024 * 1024  # .docx/.odt: sum of uncompressed sizes
    max_pdf_pages: int = 30
    max_text_chars: int = 200_000  # text kept per part
    max_seconds: float = 20.0  # wall-clock budget for the whole message
    max_zip_entries: int = 2_000  # .docx/.odt members; more is treated as a zip bomb


@dataclass(frozen=True)
class Budget:
    """The caps of one message's read and the moment its time runs out."""

    limits: Limits
    deadline: float  # time.monotonic() value

    @classmethod
    def start(cls, limits: Limits) -> Budget:
        return cls(limits=limits, deadline=time.monotonic() + limits.max_seconds)

    def expired(self) -> bool:
        return time.monotonic() > self.deadline


class DocumentTimeout(Exception):
    """The time budget ran out while reading one document."""


def _open_zip(data: bytes, limits: Limits) -> zipfile.ZipFile | None:
    """The archive, or None when its declared uncompressed size or entry count is over the caps."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    members = archive.infolist()
    total = sum(info.file_size for info in members)
    if total > limits.max_unzipped_bytes or len(members) > limits.max_zip_entries:
        return None
    return archive


def read_docx(data: bytes, budget: Budget) -> tuple[str, list[str], str | None]:
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    archive = _open_zip(data, budget.limits)
    if archive is None:
        return "", [], "zip_bomb"
    body, targets = _docx_body(archive)
    lines: list[str] = []
    for block in body.iterchildren():
        if block.tag == qn("w:p"):
            lines.append(Paragraph(block, None).text)  # type: ignore[arg-type]
        elif block.tag == qn("w:tbl"):
            for row in Table(block, None).rows:  # type: ignore[arg-type]
                seen: list[Any] = []
                for cell in row.cells:
                    if not any(cell._tc is s._tc for s in seen):
                        seen.append(cell)
                lines.append(" | ".join(" ".join(c.text.split()) for c in seen))
    links: list[str] = []
    for link in body.iter(qn("w:hyperlink")):
        target = targets.get(link.get(qn("r:id")) or "")
        if target is not None:
            links.append(target)
    for instr in body.iter(qn("w:instrText")):
        links.extend(re.findall(r'HYPERLINK\s+"([^"]+)"', instr.text or ""))
    return "\n".join(lines), [u for u in links if u.lower().startswith(("http:", "https:"))], None


_OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def _docx_body(archive: zipfile.ZipFile) -> tuple[Any, dict[str, str]]:
    """The main document's ``w:body`` (python-docx's element classes) and its external link
    targets by relationship id.

    Only the main document part and its relationships are parsed: opening the whole package
    with ``docx.Document`` also parses styles, numbering, fonts and themes, which took some
    60 times longer and adds nothing to the text.
    """
    from docx.oxml import parse_xml  # python-docx's parser: no entities, no network
    from docx.oxml.ns import qn

    name = "word/document.xml"
    for rel in _relationships(archive, "_rels/.rels"):
        if rel.get("Type") == _OFFICE_DOCUMENT and rel.get("TargetMode") != "External":
            name = (rel.get("Target") or name).lstrip("/")
    folder, _, base = name.rpartition("/")
    targets = {
        rel.get("Id") or "": rel.get("Target") or ""
        for rel in _relationships(archive, f"{folder}/_rels/{base}.rels".lstrip("/"))
        if rel.get("TargetMode") == "External"
    }
    body = parse_xml(archive.read(name)).find(qn("w:body"))
    if body is None:
        raise ValueError("the document has no body")
    return body, targets


def _relationships(archive: zipfile.ZipFile, name: str) -> list[Any]:
    from docx.oxml import parse_xml

    try:
        data = archive.read(name)
    except KeyError:
        return []
    return list(parse_xml(data).iter(_RELATIONSHIP))


def read_odt(data: bytes, budget: Budget) -> tuple[str, list[str], str | None]:
    from odf import teletype
    from odf.namespaces import TABLENS, TEXTNS, XLINKNS
    from odf.opendocument import load

    if _open_zip(data, budget.limits) is None:
        return "", [], "zip_bomb"
    document = load(io.BytesIO(data))
    lines: list[str] = []
    links: list[str] = []
    for node in _odf_nodes(document.text):
        if node.qname in ((TEXTNS, "p"), (TEXTNS, "h")) and not _odf_in_cell(node, TABLENS):
            lines.append(teletype.extractText(node))
        elif node.qname == (TABLENS, "table-row"):
            cells = [
                " ".join(teletype.extractText(c).split())
                for c in node.childNodes
                if getattr(c, "qname", None) == (TABLENS, "table-cell")
            ]
            lines.append(" | ".join(cells))
        elif node.qname == (TEXTNS, "a"):
            href = node.attributes.get((XLINKNS, "href"), "")
            if href.lower().startswith(("http:", "https:")):
                links.append(href)
    return "\n".join(lines), links, None


def _odf_nodes(root: Any) -> Iterator[Any]:
    """Element nodes of an ODF tree in document order, without recursion."""
    stack = [root]
    while stack:
        node = stack.pop()
        if getattr(node, "qname", None) is not None:
            yield node
        stack.extend(reversed(getattr(node, "childNodes", [])))


def _odf_in_cell(node: Any, tablens: str) -> bool:
    parent = node.parentNode
    while parent is not None:
        if getattr(parent, "qname", None) == (tablens, "table-cell"):
            return True
        parent = parent.parentNode
    return False


def read_pdf(data: bytes, budget: Budget) -> tuple[str, list[str], str | None]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        return "", [], "unreadable"
    pages = reader.pages
    problem = "too_many_pages" if len(pages) > budget.limits.max_pdf_pages else None
    texts: list[str] = []
    links: list[str] = []
    for index in range(min(len(pages), budget.limits.max_pdf_pages)):
        if budget.expired():
            raise DocumentTimeout
        page = pages[index]
        texts.append(page.extract_text() or "")
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            uri = action.get_object().get("/URI") if hasattr(action, "get_object") else None
            if isinstance(uri, str) and uri.lower().startswith(("http:", "https:")):
                links.append(uri)
    return "\n".join(texts), links, problem
