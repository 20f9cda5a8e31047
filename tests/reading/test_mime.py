"""Specifications of `mailflow.reading.mime.read_message`: bodies, charsets, attachments, caps."""

from __future__ import annotations

import base64
import io
import unicodedata
import zipfile

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st
from odf.opendocument import OpenDocumentText
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import A, P
from support import CORPUS, TESTS

from mailflow.reading.mime import FORWARD_MARKER, Limits, MessageText, read_message
from mailflow.reading.quotes import strip_reply

DATA = TESTS / "data" / "mime"

HEAD = (
    "From: Hoa <Hoa@Members.Test>\r\n"
    "To: wsis@association.test\r\n"
    "Subject: Contribution\r\n"
    "Message-ID: <m1@members.test>\r\n"
    "Date: Wed, 10 Sep 2025 08:30:00 +0700\r\n"
    "MIME-Version: 1.0\r\n"
)


def single_part(payload: bytes, content_type: str, cte: str = "base64") -> bytes:
    """A one-part message whose body is ``payload`` in the given transfer encoding."""
    body = base64.encodebytes(payload) if cte == "base64" else payload
    head = f"{HEAD}Content-Type: {content_type}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
    return head.encode("ascii") + body


def with_attachments(body: str, files: list[tuple[str, str, bytes]]) -> bytes:
    """multipart/mixed: a text/plain body and (filename, content type, bytes) attachments."""
    out = [f"{HEAD}Content-Type: multipart/mixed; boundary=XX\r\n\r\n"]
    out.append(f"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n")
    for name, ctype, data in files:
        encoded = base64.encodebytes(data).decode("ascii")
        out.append(
            f"--XX\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: base64\r\n"
            f'Content-Disposition: attachment; filename="{name}"\r\n\r\n{encoded}\r\n'
        )
    out.append("--XX--\r\n")
    return "".join(out).encode("utf-8")


def encode_cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: base letters precomposed, tone marks combining."""
    tones = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
    out = b""
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        tone = next(t for t in tones if t in decomposed)
        base = unicodedata.normalize("NFC", decomposed.replace(tone, ""))
        out += base.encode("cp1258") + tone.encode("cp1258")
    return out


def make_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("Action lines: C3, C7")
    paragraph = document.add_paragraph("Portal: ")
    r_id = document.part.relate_to(
        "https://library.example/portal", RELATIONSHIP_TYPE.HYPERLINK, is_external=True
    )
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "our portal"
    run.append(text)
    link.append(run)
    paragraph._p.append(link)
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(table.rows, [("Output", "Year"), ("Reading app", "2025")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_odt() -> bytes:
    document = OpenDocumentText()
    document.text.addElement(P(text="Action lines: C4"))
    paragraph = P(text="See ")
    paragraph.addElement(A(href="https://library.example/odt", text="the report"))
    document.text.addElement(paragraph)
    table = Table(name="Outputs")
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for values in (("Output", "Year"), ("Training", "2024")):
        row = TableRow()
        for value in values:
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    document.text.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def make_pdf(pages: list[str], link: str | None = None) -> bytes:
    """A minimal PDF, one Helvetica line per page, with an optional URI link on the first page."""
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, filled in below
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for number, line in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({line}) Tj ET".encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        annots = ""
        if link and number == 0:
            objects.append(
                b"<< /Type /Annot /Subtype /Link /Rect [50 50 200 80] "
                b"/A << /S /URI /URI (%s) >> >>" % link.encode("ascii")
            )
            annots = f" /Annots [{len(objects)} 0 R]"
        content_id = len(objects) - (1 if annots else 0)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R "
            f"/Resources << /Font << /F1 3 0 R >> >>{annots} >>".encode("ascii")
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


# --- headers and body ---------------------------------------------------------------------------


def test_read_message_headers_decoded() -> None:
    message = read_message(single_part(b"Hello", "text/plain; charset=us-ascii"))

    assert (message.subject, message.from_name, message.from_address) == (
        "Contribution",
        "Hoa",
        "hoa@members.test",
    )
    assert message.message_id == "<m1@members.test>"
    assert message.date is not None and message.date.isoformat() == "2025-09-10T08:30:00+07:00"


def test_read_message_leading_byte_order_mark_ignored() -> None:
    message = read_message(b"\xef\xbb\xbf" + single_part(b"Hello", "text/plain"))

    assert (message.subject, message.body) == ("Contribution", "Hello")


def test_read_message_plain_preferred_over_html() -> None:
    raw = (
        HEAD + "Content-Type: multipart/alternative; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlain words\r\n"
        "--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML words</p>\r\n--B--\r\n"
    ).encode()

    message = read_message(raw)

    assert (message.body, message.body_format) == ("Plain words", "plain")


def test_read_message_blank_plain_alternative_falls_back_to_html() -> None:
    raw = (
        HEAD + "Content-Type: multipart/alternative; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n  \r\n"
        "--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML words</p>\r\n--B--\r\n"
    ).encode()

    message = read_message(raw)

    assert (message.body, message.body_format) == ("HTML words", "html")


def test_read_message_outlook_html_only_readable() -> None:
    message = read_message((DATA / "outlook-html-only.eml").read_bytes())

    assert message.body == (
        "Organisation: Hanoi Public Library\n\n"
        "- Action lines: C3 and C7 – e-learning\n\n"
        "Output                     Link\n"
        "Digital literacy campaign  library.example/literacy\n\n"
        "We reached 12 000 readers in 2025."
    )
    assert (message.body_format, message.links) == ("html", ("https://library.example/literacy",))


def test_read_message_html_links_http_only_in_order() -> None:
    html = (
        '<a href="https://b.example/">b</a><a href="mailto:x@y.z">m</a>'
        '<a href=" http://a.example/x ">a</a><a href="https://b.example/">again</a>'
    )
    message = read_message(single_part(html.encode(), "text/html; charset=utf-8"))

    assert message.links == ("https://b.example/", "http://a.example/x")


def test_read_message_line_endings_and_nuls_normalised() -> None:
    message = read_message(single_part(b"one\r\ntwo\rthree\x00!", "text/plain; charset=utf-8"))

    assert message.body == "one\ntwo\nthree!"


def test_read_message_forwarded_rfc822_follows_marker() -> None:
    raw = (
        HEAD + "Content-Type: multipart/mixed; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
        "--B\r\nContent-Type: message/rfc822\r\n\r\n"
        "From: Lan <lan@members.test>\r\nSubject: Our contribution\r\n\r\n"
        "Action lines: C8\r\n--B--\r\n"
    ).encode()

    message = read_message(raw)

    assert message.body == (
        f"See below.\n\n{FORWARD_MARKER}\nFrom: Lan <lan@members.test>\n"
        "Subject: Our contribution\n\nAction lines: C8"
    )


def test_read_message_text_attachment_not_in_body() -> None:
    message = read_message(with_attachments("Body", [("notes.txt", "text/plain", b"Notes")]))

    assert message.body == "Body"
    assert [(a.filename, a.text, a.problem) for a in message.attachments] == [
        ("notes.txt", "Notes", None)
    ]


# --- charsets -----------------------------------------------------------------------------------

CHARSET_CASES = [
    ("gb2312", "图书馆与信息社会"),
    ("gbk", "圖書館信息社會"),
    ("gb18030", "图书馆𠀀"),
    ("koi8-r", "Библиотека и информационное общество"),
    ("iso-8859-1", "Bibliothèque nationale, été"),
    ("big5", "圖書館與資訊社會"),
    ("shift_jis", "図書館と情報社会"),
    ("iso-2022-jp", "図書館と情報社会"),
    ("utf-16", "Thư viện Quốc gia"),
    ("utf-8", "Thư viện Quốc gia"),
]


@pytest.mark.parametrize(("charset", "text"), CHARSET_CASES)
def test_read_message_declared_charset_decodes(charset: str, text: str) -> None:
    raw = single_part(text.encode(charset), f"text/plain; charset={charset}")

    message = read_message(raw)

    assert (message.body, message.charset_fallback) == (text, False)


def test_read_message_windows_1258_normalised_to_nfc() -> None:
    text = "Thư viện Quốc gia Việt Nam: xây dựng năng lực"
    raw = single_part(encode_cp1258(text), "text/plain; charset=windows-1258", cte="8bit")

    message = read_message(raw)

    assert message.body == unicodedata.normalize("NFC", text)
    assert unicodedata.is_normalized("NFC", message.body)


def test_read_message_wrong_declared_charset_detected() -> None:
    text = "Thư viện Quốc gia Việt Nam"
    raw = single_part(text.encode("utf-8"), "text/plain; charset=us-ascii", cte="8bit")

    message = read_message(raw)

    assert (message.body, message.charset_fallback) == (text, True)


def test_read_message_utf8_under_latin1_label_detected() -> None:
    text = "Bibliothèque nationale, été"
    raw = single_part(text.encode("utf-8"), "text/plain; charset=iso-8859-1", cte="8bit")

    message = read_message(raw)

    assert (message.body, message.charset_fallback) == (text, True)


def test_read_message_byte_order_mark_dropped() -> None:
    raw = single_part("\ufeffThư viện".encode(), "text/plain; charset=utf-8")

    assert read_message(raw).body == "Thư viện"


def test_read_message_unknown_charset_detected() -> None:
    text = "Bibliothèque nationale de France"
    raw = single_part(text.encode("utf-8"), "text/plain; charset=x-no-such-charset")

    message = read_message(raw)

    assert (message.body, message.charset_fallback) == (text, True)


def test_read_message_missing_charset_on_8bit_detected() -> None:
    text = "Библиотека и информационное общество: обучение и развитие навыков"
    raw = single_part(text.encode("koi8-r"), "text/plain", cte="8bit")

    message = read_message(raw)

    assert (message.body, message.charset_fallback) == (text, True)


def test_read_message_html_meta_charset_used_when_mime_has_none() -> None:
    html = '<html><head><meta charset="koi8-r"></head><body>Библиотека</body></html>'
    raw = single_part(html.encode("koi8-r"), "text/html")

    message = read_message(raw)

    assert (message.body, message.charset_fallback) == ("Библиотека", False)


# --- attachments --------------------------------------------------------------------------------

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_read_message_docx_paragraphs_tables_links() -> None:
    message = read_message(with_attachments("See file", [("c.docx", DOCX, make_docx())]))

    (attachment,) = message.attachments
    assert (
        attachment.text
        == "Action lines: C3, C7\nPortal: our portal\nOutput | Year\nReading app | 2025"
    )
    assert (attachment.links, attachment.problem) == (("https://library.example/portal",), None)


def test_read_message_docx_main_part_found_through_the_package_relationships() -> None:
    moved = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(make_docx())) as original,
        zipfile.ZipFile(moved, "w") as archive,
    ):
        for info in original.infolist():
            data = original.read(info.filename)
            name = info.filename.replace("word/document.xml", "word/main.xml").replace(
                "word/_rels/document.xml.rels", "word/_rels/main.xml.rels"
            )
            if info.filename in ("_rels/.rels", "[Content_Types].xml"):
                data = data.replace(b"word/document.xml", b"word/main.xml")
            archive.writestr(name, data)

    (attachment,) = read_message(
        with_attachments("See file", [("c.docx", DOCX, moved.getvalue())])
    ).attachments

    assert attachment.text.startswith("Action lines: C3, C7\nPortal: our portal")
    assert (attachment.links, attachment.problem) == (("https://library.example/portal",), None)


def test_read_message_odt_paragraphs_tables_links() -> None:
    odt = make_odt()
    raw = with_attachments("See file", [("c.odt", "application/octet-stream", odt)])

    (attachment,) = read_message(raw).attachments

    assert attachment.text == "Action lines: C4\nSee the report\nOutput | Year\nTraining | 2024"
    assert (attachment.links, attachment.size) == (("https://library.example/odt",), len(odt))


def test_read_message_pdf_text_and_link() -> None:
    pdf = make_pdf(["Action lines C9"], link="https://library.example/pdf")

    (attachment,) = read_message(
        with_attachments("x", [("c.pdf", "application/pdf", pdf)])
    ).attachments

    assert (attachment.text, attachment.links) == (
        "Action lines C9",
        ("https://library.example/pdf",),
    )


def test_read_message_html_attachment_text_and_links() -> None:
    html = b'<p>Outputs:</p><p><a href="https://library.example/h">portal</a></p>'

    (attachment,) = read_message(with_attachments("x", [("c.htm", "text/html", html)])).attachments

    assert (attachment.text, attachment.links) == (
        "Outputs:\n\nportal",
        ("https://library.example/h",),
    )


def test_read_message_unsupported_type_recorded_without_text() -> None:
    raw = with_attachments("x", [("photo.png", "image/png", b"\x89PNG....")])

    (attachment,) = read_message(raw).attachments

    assert attachment == type(attachment)("photo.png", "image/png", 8, "", (), "unsupported_type")


def test_read_message_broken_docx_unreadable() -> None:
    (attachment,) = read_message(
        with_attachments("x", [("c.docx", DOCX, b"PK\x03\x04junk")])
    ).attachments

    assert (attachment.text, attachment.problem) == ("", "unreadable")


# --- caps ---------------------------------------------------------------------------------------


def test_read_message_zip_bomb_docx_not_opened() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (31 * 1024 * 1024))

    (attachment,) = read_message(
        with_attachments("x", [("b.docx", DOCX, buffer.getvalue())])
    ).attachments

    assert (attachment.text, attachment.problem) == ("", "zip_bomb")


def test_read_message_pdf_over_page_cap_reads_first_pages() -> None:
    pdf = make_pdf([f"Page {n}" for n in range(1, 41)])

    (attachment,) = read_message(
        with_attachments("x", [("p.pdf", "application/pdf", pdf)])
    ).attachments

    assert attachment.text == "\n".join(f"Page {n}" for n in range(1, 31))
    assert attachment.problem == "too_many_pages"


def test_read_message_attachment_over_size_cap_too_large() -> None:
    raw = with_attachments("x", [("a.txt", "text/plain", b"abc" * 100)])

    (attachment,) = read_message(raw, Limits(max_attachment_bytes=100)).attachments

    assert (attachment.size, attachment.text, attachment.problem) == (300, "", "too_large")


def test_read_message_500_attachments_bounded() -> None:
    files = [(f"f{n}.txt", "text/plain", b"text %d" % n) for n in range(500)]

    message = read_message(with_attachments("Body", files))

    problems = [a.problem for a in message.attachments]
    assert message.problems == ("too_many_attachments", "too_many_parts")
    assert (problems.count(None), problems.count("skipped_limit"), len(problems)) == (50, 148, 198)


def test_read_message_50_mb_message_headers_only() -> None:
    raw = single_part(b"x" * (50 * 1024 * 1024), "text/plain", cte="8bit")

    message = read_message(raw)

    assert (message.subject, message.body, message.problems) == (
        "Contribution",
        "",
        ("message_too_large",),
    )


def test_read_message_deeply_nested_multipart_bounded() -> None:
    depth = 5000
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{n}"\n\n--b{n}\n' for n in range(depth)
    )
    closing = "".join(f"--b{n}--\n" for n in reversed(range(depth)))
    raw = (HEAD + opening + "Content-Type: text/plain\n\ninnermost\n" + closing).encode()

    message = read_message(raw)

    assert (message.subject, message.body, message.problems) == (
        "Contribution",
        "",
        ("too_deeply_nested",),
    )


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not on this machine")
def test_read_message_corpus_endless_enclosure_reads_one_alternative() -> None:
    raw = (CORPUS / "mailgun-flanker" / "enclosed-endless.eml").read_bytes()

    message = read_message(raw)

    assert (len(message.body), message.body.count(FORWARD_MARKER)) == (471, 1)
    # The file starts with a line of spaces; the headers below it are read as headers.
    assert (message.from_address, message.problems) == ("example@example.net", ())


def test_read_message_many_parts_stop_at_part_cap() -> None:
    depth = 300
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{n}"\n\n--b{n}\n' for n in range(depth)
    )
    raw = (HEAD + opening + "Content-Type: text/plain\n\ninnermost\n").encode()

    message = read_message(raw)

    assert (message.body, message.problems) == ("", ("mime_defects", "too_many_parts"))


def test_read_message_spent_budget_stops_with_timeout() -> None:
    message = read_message(single_part(b"Hello", "text/plain"), Limits(max_seconds=-1))

    assert (message.body, message.problems) == ("", ("timeout",))


def test_read_message_text_cut_at_char_cap() -> None:
    message = read_message(single_part(b"abcdef", "text/plain"), Limits(max_text_chars=4))

    assert message.body == "abcd"


# --- any input ----------------------------------------------------------------------------------

CONTENT_TYPES = [
    "text/plain",
    "text/html",
    "application/pdf",
    DOCX,
    "application/vnd.oasis.opendocument.text",
    "application/octet-stream",
    "message/rfc822",
    "message/delivery-status",
    "image/png",
    "",
]
CHARSETS = ["utf-8", "windows-1258", "gb2312", "koi8-r", "utf-16", "iso-2022-jp", "bogus", '""', ""]
ENCODINGS = ["base64", "quoted-printable", "8bit", "7bit", "x-uuencode", "bogus", ""]
FILENAMES = ["", "a.txt", "b.docx", "c.odt", "d.pdf", "e.html", "=?utf-8?q?=C3=A9.pdf?=", "x"]


DOCUMENTS = [make_docx(), make_odt(), make_pdf(["Page"], link="https://a.example/")]


@st.composite
def leaf_parts(draw: st.DrawFn) -> bytes:
    ctype = draw(st.sampled_from(CONTENT_TYPES))
    charset = draw(st.sampled_from(CHARSETS))
    lines = [f"Content-Type: {ctype}; charset={charset}" if ctype else "Content-Type:"]
    if encoding := draw(st.sampled_from(ENCODINGS)):
        lines.append(f"Content-Transfer-Encoding: {encoding}")
    if filename := draw(st.sampled_from(FILENAMES)):
        lines.append(f'Content-Disposition: attachment; filename="{filename}"')
    body = draw(st.one_of(st.binary(max_size=300), st.sampled_from(DOCUMENTS)))
    if draw(st.booleans()):
        body = base64.encodebytes(body)
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body


def multipart(children: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        subtype = draw(st.sampled_from(["mixed", "alternative", "related", "report", "digest"]))
        boundary = draw(st.sampled_from(["b", "b1", "", "--", "a b", "x" * 80]))
        parts = draw(st.lists(children, max_size=4))
        out = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()
        for part in parts:
            out += b"--" + boundary.encode() + b"\r\n" + part + b"\r\n"
        if draw(st.booleans()):
            out += b"--" + boundary.encode() + b"--\r\n"
        return out

    return build()


MIME_TREES = st.recursive(leaf_parts(), multipart, max_leaves=8)


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_read_message_any_bytes_returns_message_text(raw: bytes) -> None:
    assert isinstance(read_message(raw), MessageText)


@given(
    st.sampled_from([HEAD.encode(), b"", b"From: =?x?q?\xff?=\r\nSubject: \xc3\r\n"]), MIME_TREES
)
@settings(max_examples=300, deadline=None)
def test_read_message_any_mime_structure_returns_message_text(head: bytes, tree: bytes) -> None:
    message = read_message(head + tree)

    assert isinstance(message, MessageText)
    assert unicodedata.is_normalized("NFC", message.body)


CORPUS_FILES = sorted(
    p for p in CORPUS.rglob("*") if p.is_file() and p.name not in ("SOURCES.md", "MANIFEST.csv")
)


@pytest.mark.skipif(not CORPUS_FILES, reason="shared corpus not present")
def test_read_message_and_strip_reply_whole_corpus_without_exception() -> None:
    read = 0
    for path in CORPUS_FILES:
        message = read_message(path.read_bytes())
        for text in [message.body, *(a.text for a in message.attachments)]:
            strip_reply(text)
        read += 1

    assert read == len(CORPUS_FILES) == 396


def test_read_message_multipart_without_boundary_read_as_text() -> None:
    raw = (HEAD + "Content-Type: multipart/mixed\r\n\r\nAction lines: C3\r\n").encode()

    message = read_message(raw)

    assert (message.body, message.body_format) == ("Action lines: C3", "plain")


def test_read_message_named_single_text_part_is_the_body() -> None:
    raw = single_part(b"Action lines: C3", 'text/plain; charset=utf-8; name="c.txt"')

    message = read_message(raw)

    assert (message.body, message.attachments) == ("Action lines: C3", ())


def test_read_message_named_text_part_inside_multipart_is_attachment() -> None:
    raw = (
        HEAD + "Content-Type: multipart/mixed; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nBody\r\n"
        '--B\r\nContent-Type: text/plain; name="c.txt"\r\n\r\nAction lines: C3\r\n--B--\r\n'
    ).encode()

    message = read_message(raw)

    assert (message.body, [a.text for a in message.attachments]) == ("Body", ["Action lines: C3"])


def test_read_message_html_nested_beyond_parser_limit_keeps_words() -> None:
    html = "<div>" * 5000 + "Action lines: C3 &amp; C7" + "</div>" * 5000

    message = read_message(single_part(html.encode(), "text/html; charset=utf-8"))

    assert message.body == "Action lines: C3 & C7"


def test_read_message_html_with_an_xml_declaration_keeps_its_layout() -> None:
    html = (
        '<?xml version="1.0" encoding="windows-1252"?>'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "x">'
        '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>Organisation: Lakeside \x93Library\x94'
        "</p><p>Action lines: C3</p></body></html>"
    )
    raw = b"From: a@lib.example\nContent-Type: text/html\n\n" + html.encode("latin-1")
    assert read_message(raw).body == "Organisation: Lakeside “Library”\n\nAction lines: C3"
