"""Text and hyperlinks of the office documents and PDFs members attach: .docx, .odt and .pdf.

`read_docx` (python-docx's elements, main part only), `read_odt` (odfpy) and `read_pdf` (pypdf) each
take an attachment's bytes and return its text (paragraphs one per line, table rows as ``cell |
cell``), its http(s) hyperlinks and a problem code or None. Every reader stays inside the caps of
the read it belongs to: a .docx or .odt whose declared uncompressed size or member count is over
the caps is a ``zip_bomb`` and is never unpacked, a PDF is read up to ``max_pdf_pages`` pages,
and the time budget is checked between pages (`DocumentTimeout`). Readers may raise on broken
files; the caller turns that into ``unreadable``. `Limits` are the caps of a whole message's
read and `Budget` what is left of them while it runs (the clock); `mailflow.reading.mime` makes
one per message and passes it to every reader.

Bounds hold whatever the file claims. An archive is inflated as a stream, counting the bytes
actually produced (the sizes its directory declares may be forged: a few kilobytes that inflate
to a gigabyte), and a part stops being read at ``max_xml_bytes`` or when the archive's total
reaches ``max_unzipped_bytes``: `ZipBomb`, problem ``zip_bomb``. odfpy is handed a rebuilt archive
holding only the bounded ``content.xml``, since it would read every member whole itself. The text
taken from one document stops at ``max_text_chars`` before anything else is done with it. And
`deadline` enforces the message's time budget inside every reader: on the main thread of a
process (a poll's own, or a worker's) a timer interrupts a reader that runs past it
(`DocumentTimeout`), wherever it is, not only between PDF pages.

This module does not walk MIME trees, choose which reader an attachment gets, decode charsets or
read .txt and .html attachments (all `mailflow.reading.mime`, which shares its charset and HTML
handling between bodies and attachments).
"""

from __future__ import annotations

import io
import re
import signal
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

__all__ = [
    "Budget",
    "DocumentTimeout",
    "Limits",
    "ZipBomb",
    "deadline",
    "read_docx",
    "read_odt",
    "read_pdf",
]


@dataclass(frozen=True)
class Limits:
    """Caps that bound the work spent on one message (sizes in bytes)."""

    max_message_bytes: int = 25 * 1024 * 1024
    max_parts: int = 200  # MIME parts walked
    max_attachments: int = 50  # attachments whose text is read
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_unzipped_bytes: int = 30 * 1024 * 1024  # .docx/.odt: bytes inflated, all parts read
    max_xml_bytes: int = 8 * 1024 * 1024  # .docx/.odt: bytes inflated of the one part parsed
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


class ZipBomb(Exception):
    """An archive declares, or inflates to, more than the caps allow."""


#: How often the budget's timer fires again once the time is up (see `deadline`).
_REFIRE_S = 0.05


@contextmanager
def deadline(budget: Budget) -> Iterator[None]:
    """Interrupt the code inside with `DocumentTimeout` once ``budget``'s time is up.

    A real-time timer (SIGALRM) does it, so it works only on a process's main thread, where
    every reading runs (a poll's own process, or a worker of its pool); elsewhere the code runs
    unwatched and only the checks between PDF pages apply.
    """
    remaining = budget.deadline - time.monotonic()
    if remaining <= 0:
        raise DocumentTimeout
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    armed = True

    def time_is_up(signum: int, frame: FrameType | None) -> None:
        if armed:
            raise DocumentTimeout

    previous = signal.signal(signal.SIGALRM, time_is_up)
    # After the deadline the timer fires again every 50 ms until the block ends: a reader's own
    # ``except Exception`` (pypdf has many) or a gc callback can swallow one DocumentTimeout,
    # and the next one then stops it anyway. Python reports one swallowed by a gc callback or a
    # finaliser ("Exception ignored in ...") through sys.unraisablehook; it is ours, not news.
    hook = sys.unraisablehook
    sys.unraisablehook = _quiet_about_timeouts(hook)
    signal.setitimer(signal.ITIMER_REAL, remaining, _REFIRE_S)
    try:
        yield
    finally:
        # A signal already caught runs its Python handler at the next bytecode, which may be
        # here: the undoing is repeated until it completes, and disarming comes first.
        while True:
            try:
                armed = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                sys.unraisablehook = hook
                break
            except DocumentTimeout:
                continue


def _quiet_about_timeouts(hook: Callable[[Any], object]) -> Callable[[Any], None]:
    """``hook``, except for a `DocumentTimeout` (the timer fires again and stops the reader)."""

    def quiet(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, DocumentTimeout):
            hook(unraisable)

    return quiet


class _Archive:
    """A .docx or .odt archive whose parts are inflated as streams, within the caps."""

    _CHUNK = 64 * 1024

    def __init__(self, data: bytes, limits: Limits) -> None:
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        members = self.zip.infolist()
        declared = sum(info.file_size for info in members)
        if declared > limits.max_unzipped_bytes or len(members) > limits.max_zip_entries:
            raise ZipBomb
        self.left = limits.max_unzipped_bytes
        self.part_cap = limits.max_xml_bytes

    def read(self, name: str) -> bytes:
        """The inflated part; `ZipBomb` as soon as it passes a cap, whatever it declares."""
        cap = min(self.left, self.part_cap)
        chunks: list[bytes] = []
        size = 0
        with self.zip.open(name) as stream:
            while chunk := stream.read(self._CHUNK):  # at most this much inflated at a time
                size += len(chunk)
                if size > cap:
                    raise ZipBomb
                chunks.append(chunk)
        self.left -= size
        return b"".join(chunks)


def read_docx(data: bytes, budget: Budget) -> tuple[str, list[str], str | None]:
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        archive = _Archive(data, budget.limits)
        body, targets = _docx_body(archive)
    except ZipBomb:
        return "", [], "zip_bomb"
    lines: list[str] = []
    size = 0
    for block in body.iterchildren():
        if size >= budget.limits.max_text_chars:  # enough text taken from this document
            break
        if block.tag == qn("w:p"):
            lines.append(Paragraph(block, None).text)  # type: ignore[arg-type]
            size += len(lines[-1]) + 1
        elif block.tag == qn("w:tbl"):
            for row in Table(block, None).rows:  # type: ignore[arg-type]
                seen: list[Any] = []
                for cell in row.cells:
                    if not any(cell._tc is s._tc for s in seen):
                        seen.append(cell)
                lines.append(" | ".join(" ".join(c.text.split()) for c in seen))
                size += len(lines[-1]) + 1
    links: list[str] = []
    for link in body.iter(qn("w:hyperlink")):
        target = targets.get(link.get(qn("r:id")) or "")
        if target is not None:
            links.append(target)
    for instr in body.iter(qn("w:instrText")):
        links.extend(re.findall(r'HYPERLINK\s+"([^"]+)"', instr.text or ""))
    text = "\n".join(lines)[: budget.limits.max_text_chars]
    return text, [u for u in links if u.lower().startswith(("http:", "https:"))], None


_OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def _docx_body(archive: _Archive) -> tuple[Any, dict[str, str]]:
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


def _relationships(archive: _Archive, name: str) -> list[Any]:
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

    try:
        document = load(io.BytesIO(_odt_content_only(_Archive(data, budget.limits))))
    except ZipBomb:
        return "", [], "zip_bomb"
    lines: list[str] = []
    links: list[str] = []
    size = 0
    for node in _odf_nodes(document.text):
        if size >= budget.limits.max_text_chars:  # enough text taken from this document
            break
        if node.qname in ((TEXTNS, "p"), (TEXTNS, "h")) and not _odf_in_cell(node, TABLENS):
            lines.append(teletype.extractText(node))
            size += len(lines[-1]) + 1
        elif node.qname == (TABLENS, "table-row"):
            cells = [
                " ".join(teletype.extractText(c).split())
                for c in node.childNodes
                if getattr(c, "qname", None) == (TABLENS, "table-cell")
            ]
            lines.append(" | ".join(cells))
            size += len(lines[-1]) + 1
        elif node.qname == (TEXTNS, "a"):
            href = node.attributes.get((XLINKNS, "href"), "")
            if href.lower().startswith(("http:", "https:")):
                links.append(href)
    return "\n".join(lines)[: budget.limits.max_text_chars], links, None


_ODT_MANIFEST = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    b'<manifest:file-entry manifest:full-path="/" manifest:media-type="%s"/>'
    b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    b"</manifest:manifest>"
)


def _odt_content_only(archive: _Archive) -> bytes:
    """A new archive with the mimetype and the bounded ``content.xml`` of ``archive`` only."""
    try:
        mimetype = archive.read("mimetype").strip()[:100]
    except KeyError:
        mimetype = b"application/vnd.oasis.opendocument.text"
    if not mimetype.isascii() or b'"' in mimetype or b"<" in mimetype:
        raise ValueError("not an OpenDocument mimetype")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as rebuilt:
        rebuilt.writestr("mimetype", mimetype)
        rebuilt.writestr("META-INF/manifest.xml", _ODT_MANIFEST % mimetype)
        rebuilt.writestr("content.xml", archive.read("content.xml"))
    return out.getvalue()


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
    size = 0
    for index in range(min(len(pages), budget.limits.max_pdf_pages)):
        if budget.expired():
            raise DocumentTimeout
        if size >= budget.limits.max_text_chars:
            break
        page = pages[index]
        texts.append(page.extract_text() or "")
        size += len(texts[-1]) + 1
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            uri = action.get_object().get("/URI") if hasattr(action, "get_object") else None
            if isinstance(uri, str) and uri.lower().startswith(("http:", "https:")):
                links.append(uri)
    return "\n".join(texts)[: budget.limits.max_text_chars], links, problem
