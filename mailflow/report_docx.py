"""Write the compiled report's ``report.docx``: python-docx building and a reproducible zip.

`build_docx` turns the report's view model (built by `mailflow.report`) into a Word document:
title, overview, summary, then the contributions grouped by action line, right-to-left paragraphs
marked as such and http(s) links as hyperlinks. Paragraphs are appended with a small writer of our
own, in constant time each, so a report of thousands of contributions stays fast. The saved zip is
re-packed with every entry dated ``compiled_at`` and fixed attributes, so the same input gives the
same bytes. This module does not decide what the report says, how contributions are grouped or
cleaned (that is `mailflow.report`), nor the text, HTML, CSV and JSON renderings (also there).
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import docx
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

if TYPE_CHECKING:
    from mailflow.report import _Placement, _View

__all__ = ["build_docx"]

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

# Clark names, computed once: building 10,000 contributions creates half a million elements.
_W_PPR, _W_PSTYLE, _W_BIDI = qn("w:pPr"), qn("w:pStyle"), qn("w:bidi")
_W_R, _W_RPR, _W_B, _W_T = qn("w:r"), qn("w:rPr"), qn("w:b"), qn("w:t")
_W_COLOR, _W_U, _W_VAL = qn("w:color"), qn("w:u"), qn("w:val")
_W_HYPERLINK, _W_HISTORY, _R_ID = qn("w:hyperlink"), qn("w:history"), qn("r:id")
_XML_SPACE = qn("xml:space")


def _child(parent: Any, tag: str, attributes: dict[str, str] | None = None) -> Any:
    """Append a new element ``tag`` to ``parent`` (lxml's SubElement, without importing lxml)."""
    element = parent.makeelement(tag, attributes or {})
    parent.append(element)
    return element


class _DocxWriter:
    """Appends paragraphs to a python-docx document in constant time each.

    python-docx's ``add_paragraph`` looks for the section properties among all body children
    and resolves the style by name on every call, which is quadratic over a large report; this
    writer keeps the insertion point and the style ids, and builds the runs directly.
    """

    def __init__(self, document: Any) -> None:
        self.document = document
        self._end = document.element.body.sectPr
        self._style_ids: dict[str, str] = {}
        self._next_link = 0

    def _style_id(self, name: str) -> str:
        if name not in self._style_ids:
            self._style_ids[name] = self.document.styles[name].style_id
        return self._style_ids[name]

    def paragraph(self, text: str = "", style: str | None = None, *, rtl: bool = False) -> Any:
        p = OxmlElement("w:p")
        if style is not None or rtl:
            ppr = _child(p, _W_PPR)
            if style is not None:
                _child(ppr, _W_PSTYLE, {_W_VAL: self._style_id(style)})
            if rtl:
                _child(ppr, _W_BIDI)
        if text:
            self.run(p, text)
        self._end.addprevious(p)
        return p

    def run(self, parent: Any, text: str, *, bold: bool = False, link: bool = False) -> None:
        r = _child(parent, _W_R)
        if bold or link:
            rpr = _child(r, _W_RPR)
            if bold:
                _child(rpr, _W_B)
            if link:
                _child(rpr, _W_COLOR, {_W_VAL: "0563C1"})
                _child(rpr, _W_U, {_W_VAL: "single"})
        _child(r, _W_T, {_XML_SPACE: "preserve"}).text = text

    def hyperlink(self, p: Any, url: str) -> None:
        # Relationship ids of our own, so adding one does not scan every existing relationship.
        self._next_link += 1
        rid = f"rIdLink{self._next_link}"
        self.document.part.rels.add_relationship(
            RELATIONSHIP_TYPE.HYPERLINK, url, rid, is_external=True
        )
        anchor = _child(p, _W_HYPERLINK, {_R_ID: rid, _W_HISTORY: "1"})
        self.run(anchor, url, link=True)


def _docx_item(out: _DocxWriter, placement: _Placement) -> None:
    item = placement.item
    heading = item.organisation or "(organisation not given)"
    if item.country:
        heading += f" — {item.country}"
    if not placement.full:
        p = out.paragraph(style="List Bullet")
        out.run(p, heading, bold=True)
        out.run(p, f" (#{item.id}): see under {item.home}.")
        return
    out.paragraph(f"{heading} (#{item.id})", "Heading 3")
    details = f"Action lines: {', '.join(item.codes) or 'none'} · {item.word_count} words"
    if item.member_name:
        details += f" · contact: {item.member_name}"
    out.paragraph(f"{details} · received {item.received}")
    for paragraph in item.paragraphs:
        out.paragraph(paragraph, rtl=item.rtl)
    for link in item.links:
        p = out.paragraph(style="List Bullet")
        if link.clickable:
            out.hyperlink(p, link.url)
        else:
            out.run(p, link.url)


def build_docx(view: _View) -> bytes:
    """The report ``view`` as .docx bytes; the same view gives the same bytes."""
    # Imported here: mailflow.report imports this module to build its attachments.
    from mailflow.report import _aware, _is_rtl

    document = docx.Document()
    out = _DocxWriter(document)
    meta = view.meta
    out.paragraph(view.title, "Title")
    out.paragraph(
        f"Compiled {view.compiled} for {view.recipient}. Deadline {view.deadline}; "
        f"word limit {meta.word_limit} words per contribution."
    )
    out.paragraph("Overview", "Heading 1")
    out.paragraph(f"Contributions: {view.contributions}", "List Bullet")
    out.paragraph(f"Members: {view.members}", "List Bullet")
    out.paragraph(f"Words in all: {view.words}", "List Bullet")
    out.paragraph("By action line", "Heading 2")
    for line in view.lines:
        out.paragraph(f"{line.code} {line.name}: {line.count}", "List Bullet")
    out.paragraph("By country", "Heading 2")
    for country, count in view.countries:
        out.paragraph(f"{country}: {count}", "List Bullet")
    if view.summary:
        out.paragraph("Summary", "Heading 1")
        for paragraph in view.summary:
            out.paragraph(paragraph, rtl=_is_rtl(paragraph))
    out.paragraph("Contributions by action line", "Heading 1")
    if not view.groups:
        out.paragraph("No contributions were accepted.")
    for group in view.groups:
        title = f"{group.code} {group.name}" if group.code else group.name
        out.paragraph(title, "Heading 2")
        for placement in group.placements:
            _docx_item(out, placement)

    properties = document.core_properties
    properties.title = view.title[:255]
    properties.subject = view.campaign[:255]
    properties.author = view.association[:255]
    properties.last_modified_by = view.association[:255]
    properties.comments = ""
    properties.revision = 1
    # python-docx writes these with a literal "Z": give it the UTC wall time.
    compiled_utc = _aware(meta.compiled_at).astimezone(UTC).replace(tzinfo=None)
    properties.created = compiled_utc
    properties.modified = compiled_utc
    buffer = io.BytesIO()
    document.save(buffer)
    return _repack(buffer.getvalue(), compiled_utc)


def _repack(data: bytes, moment: datetime) -> bytes:
    """The same zip with every entry dated ``moment`` and fixed attributes: reproducible bytes."""
    stamp = max(moment.timetuple()[:6], _ZIP_EPOCH)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
