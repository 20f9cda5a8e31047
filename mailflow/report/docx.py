"""Write the compiled report's ``report.docx``: the body's XML in bulk and a reproducible zip.

`build_docx` turns the report's view model (`mailflow.report.view`) into a Word document:
title, overview, summary, then the contributions grouped by action line, right-to-left paragraphs
marked as such and http(s) links as hyperlinks. python-docx supplies the package (styles, numbering,
settings, core properties); the body is not built element by element through it, which costs tens of
microseconds per element and a report of 10,000 contributions has half a million: `_Body` writes
each paragraph's WordprocessingML as text, escaped, and the joined body and the hyperlink
relationships are spliced into ``word/document.xml`` and its ``.rels`` while the zip is re-packed.
The re-pack dates every entry ``compiled_at`` and fixes its attributes, so the same input gives the
same bytes. The splice relies on the XML python-docx 1.x writes (an empty body but for its
sectPr, the package's part names), so pyproject.toml pins python-docx below 2. This module does
not decide what the report says, how contributions are grouped or cleaned (that is
`mailflow.report.view`), nor the text, HTML, CSV and JSON renderings (`mailflow.report.render`,
`mailflow.report.data`).
"""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime

from mailflow.report.view import Field, Item, Placement, Said, View, aware, is_rtl, isolate

__all__ = ["build_docx"]

#: The page: A4, as the rest of the world prints (python-docx's default is US Letter); in mm.
A4 = (210, 297)
MARGIN = 25
#: python-docx's ``RELATIONSHIP_TYPE.HYPERLINK``.
_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_DOCUMENT = "word/document.xml"
_DOCUMENT_RELS = "word/_rels/document.xml.rels"
# Where the body goes: python-docx's default document has an empty body but for its sectPr,
# which must stay the body's last child.
_BODY_START = b"<w:body>"
_RELS_END = b"</Relationships>"
_STYLES = ("Title", "Heading 1", "Heading 2", "Heading 3", "List Bullet")
_LINK_RUN_PROPERTIES = '<w:rPr><w:color w:val="0563C1"/><w:u w:val="single"/></w:rPr>'


def _text(value: str) -> str:
    """``value`` escaped for XML character data.

    No XML library checks what is written here: every string of the view has been cleaned by
    `mailflow.report.view` of the characters XML 1.0 cannot hold (C0 controls, lone surrogates,
    U+FFFE/U+FFFF); a lone surrogate would fail the UTF-8 encoding rather than slip through.
    """
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str) -> str:
    """``value`` escaped for a double-quoted XML attribute."""
    return _text(value).replace('"', "&quot;")


def _run(text: str, *, bold: bool = False, italic: bool = False) -> str:
    """A run of ``text``, bold or italic if asked; spaces kept as written."""
    properties = "<w:rPr><w:b/></w:rPr>" if bold else "<w:rPr><w:i/></w:rPr>" if italic else ""
    return f'<w:r>{properties}<w:t xml:space="preserve">{_text(text)}</w:t></w:r>'


@functools.lru_cache(maxsize=256)
def _label_run(label: str) -> str:
    """The bold run "Label:" (a report has a few dozen labels and prints them 100,000 times)."""
    return _run(f"{label}:", bold=True)


@functools.lru_cache(maxsize=64)
def _properties(style_id: str | None, rtl: bool, keep_next: bool) -> str:
    """A paragraph's ``<w:pPr>`` (empty when it has none)."""
    if style_id is None and not rtl and not keep_next:
        return ""
    style_xml = f'<w:pStyle w:val="{style_id}"/>' if style_id else ""
    return (
        f"<w:pPr>{style_xml}{'<w:keepNext/>' if keep_next else ''}"
        f"{'<w:bidi/>' if rtl else ''}</w:pPr>"
    )


class _Body:
    """The document body as WordprocessingML text, one paragraph string at a time."""

    def __init__(self, style_ids: dict[str, str]) -> None:
        self._style_ids = style_ids
        self.paragraphs: list[str] = []
        self.relationships: list[str] = []

    def paragraph(self, text: str = "", style: str | None = None, *, rtl: bool = False) -> None:
        self.paragraph_of(_run(text) if text else "", style, rtl=rtl)

    def paragraph_of(
        self, runs: str, style: str | None = None, *, rtl: bool = False, keep_next: bool = False
    ) -> None:
        """A paragraph of ``runs`` (already XML), in ``style`` (a style name), right-to-left,
        kept on the page of the next paragraph. Headings are kept with their text whatever the
        style says (Word's built-in headings do; a template's may not)."""
        keep_next = keep_next or (style is not None and style.startswith(("Heading", "Title")))
        properties = _properties(self._style_ids[style] if style else None, rtl, keep_next)
        self.paragraphs.append(f"<w:p>{properties}{runs}</w:p>")

    def texts(self, texts: Iterable[str], *, rtl: bool = False) -> None:
        """A plain paragraph for each of ``texts`` (none empty): most of a report's paragraphs."""
        start = "<w:p><w:pPr><w:bidi/></w:pPr>" if rtl else "<w:p>"
        self.paragraphs.extend(
            f'{start}<w:r><w:t xml:space="preserve">{_text(text)}</w:t></w:r></w:p>'
            for text in texts
        )

    def hyperlink(self, url: str) -> str:
        """A hyperlink run to ``url`` (already XML), its relationship recorded for the .rels."""
        # Relationship ids of our own: python-docx's default document uses rId1 … rId8.
        rid = f"rIdLink{len(self.relationships) + 1}"
        self.relationships.append(
            f'<Relationship Id="{rid}" Type="{_HYPERLINK}" '
            f'Target="{_attribute(url)}" TargetMode="External"/>'
        )
        return (
            f'<w:hyperlink r:id="{rid}" w:history="1"><w:r>{_LINK_RUN_PROPERTIES}'
            f'<w:t xml:space="preserve">{_text(url)}</w:t></w:r></w:hyperlink>'
        )


def _label(out: _Body, label: str, value: str = "") -> None:
    """A paragraph "Label: value" with the label bold; without a value, kept with the next
    paragraph. Written here whole: a report has 100,000 of them."""
    if value:
        out.paragraphs.append(
            f'<w:p>{_label_run(label)}<w:r><w:t xml:space="preserve"> {_text(value)}</w:t></w:r>'
            "</w:p>"
        )
    else:
        out.paragraphs.append(f"<w:p><w:pPr><w:keepNext/></w:pPr>{_label_run(label)}</w:p>")


def _field(out: _Body, field: Field, item: Item) -> None:
    links = field.key == "outputs" and item.links
    if field.missing and not links:
        _label(out, field.label, "not given.")
        return
    if field.english:
        _label(out, field.label)
        out.texts(field.english)
        if field.original:
            out.paragraph_of(_run(f"Original ({field.language}):", italic=True), keep_next=True)
            out.texts(field.original, rtl=field.rtl)
    elif field.original:
        _label(out, f"{field.label} (in {field.language}; no English version)")
        out.texts(field.original, rtl=field.rtl)
    else:
        _label(out, field.label)
    if links:
        _links(out, item)


def _links(out: _Body, item: Item) -> None:
    for link in item.links:
        out.paragraph_of(
            out.hyperlink(link.url) if link.clickable else _run(link.url), "List Bullet"
        )


def _docx_item(out: _Body, placement: Placement) -> None:
    item = placement.item
    heading = f"{item.number}. {item.heading}"
    if not placement.full:
        out.paragraph(f"{heading}: printed in full under {item.home}.", "List Bullet")
        return
    out.paragraph(heading, "Heading 3")
    _label(out, "Organisation", isolate(item.organisation) or "not given.")
    country = item.country_name or "not given."
    if item.country and item.country_written and item.country_written != item.country.name:
        country += f" (written “{isolate(item.country_written)}”)"
    _label(out, "Country", country)
    _label(out, "Contact", item.contact)
    lines = "; ".join(f"{code} {name}" for code, name in item.lines)
    _label(out, "Action lines", lines or "none recognised.")
    _label(out, "Language", item.note)
    if item.free_english or item.free_original:
        if item.free_english:
            _label(out, "Contribution (not divided into the call's sections)")
            out.texts(item.free_english)
            if item.free_original:
                out.paragraph_of(
                    _run(f"Original ({item.language_name}):", italic=True), keep_next=True
                )
                out.texts(item.free_original, rtl=item.free_rtl)
        else:
            _label(
                out,
                "Contribution (not divided into the call's sections; "
                f"in {item.language_name}, no English version)",
            )
            out.texts(item.free_original, rtl=item.free_rtl)
        _links(out, item)
    else:
        for field in item.fields:
            _field(out, field, item)
    _label(out, "Completeness", f"{item.completeness}.")


def _said(out: _Body, said: Said) -> None:
    field, item = said.field, said.item
    for number, text in enumerate(field.english or field.original):
        out.paragraph(
            text, "List Bullet" if number == 0 else None, rtl=not field.english and field.rtl
        )
    if field.english and field.original:
        out.texts(field.original, rtl=field.rtl)
    where = f"— {item.who}; contribution {item.number}, {item.codes_label}"
    out.paragraph(where + ("" if field.english else f"; in {field.language}"))


def _body(view: View, style_ids: dict[str, str]) -> _Body:
    out = _Body(style_ids)
    out.paragraph(view.title, "Title")
    out.paragraph(
        f"Compiled {view.compiled} for {view.recipient}. Deadline {view.deadline}; "
        f"word limit {view.meta.word_limit} words per contribution."
    )
    out.paragraph("Overview", "Heading 1")
    out.paragraph(f"Contributions: {view.contributions}", "List Bullet")
    members = f"Members who contributed: {view.members}"
    if view.meta.roster_size:
        members += f" of {view.meta.roster_size}"
    out.paragraph(members, "List Bullet")
    out.paragraph(f"Words in all: {view.words}", "List Bullet")
    out.paragraph("By action line", "Heading 2")
    for line in view.lines:
        out.paragraph(f"{line.code} {line.name}: {line.count}", "List Bullet")
    out.paragraph("By country", "Heading 2")
    for country, count in view.countries:
        out.paragraph(f"{isolate(country)}: {count}", "List Bullet")
    if view.silent_members:
        out.paragraph("Members who did not answer", "Heading 2")
        for name in view.silent_members:
            out.paragraph(isolate(name), "List Bullet")
    if view.summary:
        out.paragraph("Summary", "Heading 1")
        for paragraph in view.summary:
            out.paragraph(paragraph, rtl=is_rtl(paragraph))
    out.paragraph("Contributions by action line", "Heading 1")
    out.paragraph(
        "Each contribution is printed once, under the first of its action lines, and referred "
        "to by its number under the others."
    )
    if not view.groups:
        out.paragraph("No contributions were accepted.")
    for group in view.groups:
        out.paragraph(group.title, "Heading 2")
        for placement in group.placements:
            _docx_item(out, placement)
    for gathered in view.gathered:
        out.paragraph(gathered.title, "Heading 1")
        for said in gathered.said:
            _said(out, said)
        if not gathered.said:
            out.paragraph("None reported.")
    return out


def build_docx(view: View) -> bytes:
    """The report ``view`` as .docx bytes; the same view gives the same bytes."""
    # leaf; python-docx and lxml load for a compile only, not for every command (0.1 s)
    import docx
    from docx.shared import Mm

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(A4[0]), Mm(A4[1])
    margin = Mm(MARGIN)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = margin
    body = _body(view, {name: document.styles[name].style_id for name in _STYLES})
    properties = document.core_properties
    properties.title = view.title[:255]
    properties.subject = view.campaign[:255]
    properties.author = view.association[:255]
    properties.last_modified_by = view.association[:255]
    properties.comments = ""
    properties.revision = 1
    # python-docx writes these with a literal "Z": give it the UTC wall time.
    compiled_utc = aware(view.meta.compiled_at).astimezone(UTC).replace(tzinfo=None)
    properties.created = compiled_utc
    properties.modified = compiled_utc
    buffer = io.BytesIO()
    document.save(buffer)
    insert = {
        _DOCUMENT: (_BODY_START, "".join(body.paragraphs).encode(), True),
        _DOCUMENT_RELS: (_RELS_END, "".join(body.relationships).encode(), False),
    }
    return _repack(buffer.getvalue(), compiled_utc, insert)


def _splice(data: bytes, marker: bytes, insert: bytes, after: bool) -> bytes:
    """``data`` with ``insert`` put after (or before) its one ``marker``."""
    at = data.find(marker)
    if at < 0 or data.find(marker, at + 1) >= 0:
        raise ValueError(f"python-docx's default document changed: no single {marker!r}")
    at += len(marker) if after else 0
    return data[:at] + insert + data[at:]


def _repack(data: bytes, moment: datetime, insert: dict[str, tuple[bytes, bytes, bool]]) -> bytes:
    """The zip again, ``insert`` spliced into its entries, every entry dated ``moment`` and with
    fixed attributes: reproducible bytes."""
    stamp = max(moment.timetuple()[:6], _ZIP_EPOCH)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename in insert:
                content = _splice(content, *insert[info.filename])
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3
            entry.external_attr = 0o644 << 16
            target.writestr(entry, content)
    return out.getvalue()
