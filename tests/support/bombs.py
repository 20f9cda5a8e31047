"""Hostile documents for the reading limits: forged zip sizes, dense legal text, dense PDFs.

Each builder returns the bytes of one attachment, small on disk and huge once read:

* `forged_docx` — a .docx whose ``word/document.xml`` inflates to ``inflated`` bytes while the
  archive's directory (central and local) declares ``declared`` bytes;
* `dense_docx` / `dense_odt` — legal documents holding ``xml_bytes`` of paragraphs;
* `dense_pdf` — a one-page PDF whose compressed content stream shows ``text_bytes`` of text.

`attached` wraps one in a member's mail.
"""

from __future__ import annotations

import base64
import io
import struct
import zipfile
import zlib

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_TYPE = "application/vnd.oasis.opendocument.text"

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_PARAGRAPH = b"<w:p><w:r><w:t>Our library lends e-readers in forty villages. </w:t></w:r></w:p>"


def _deflated(chunks: int, head: bytes, block: bytes, tail: bytes) -> tuple[bytes, int, int]:
    """Raw deflate of head + block * chunks + tail, its CRC-32 and its inflated size."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    crc = zlib.crc32(head)
    out = [compressor.compress(head)]
    for _ in range(chunks):
        out.append(compressor.compress(block))
        crc = zlib.crc32(block, crc)
    out.append(compressor.compress(tail))
    crc = zlib.crc32(tail, crc)
    out.append(compressor.flush())
    return b"".join(out), crc, len(head) + len(block) * chunks + len(tail)


def forged_docx(inflated: int = 1 << 30, declared: int = 4096) -> bytes:
    """A .docx whose document.xml inflates to ``inflated`` bytes but declares ``declared``."""
    head = f'<w:document xmlns:w="{_W}"><w:body>'.encode()
    block = _PARAGRAPH * (1 << 14)
    data, crc, _size = _deflated(inflated // len(block), head, block, b"</w:body></w:document>")
    entries = [("[Content_Types].xml", _CONTENT_TYPES.encode())]
    out = io.BytesIO()
    central = []
    for name, content in entries:
        central.append(_stored(out, name, content))
    offset = out.tell()
    name = b"word/document.xml"
    # Local header and central directory both claim a small, honest-looking size.
    out.write(
        struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), declared, len(name), 0
        )
        + name
        + data
    )
    central.append(
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0,
            crc,
            len(data),
            declared,
            len(name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        + name
    )
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0)
    )
    return out.getvalue()


def _stored(out: io.BytesIO, name: str, content: bytes) -> bytes:
    """Write one stored entry's local header and data; return its central directory record."""
    offset = out.tell()
    raw = name.encode()
    crc = zlib.crc32(content)
    out.write(
        struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0, crc, len(content), len(content), len(raw), 0
        )
        + raw
        + content
    )
    return (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            0,
            0,
            0,
            crc,
            len(content),
            len(content),
            len(raw),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        + raw
    )


def dense_docx(xml_bytes: int = 29 << 20) -> bytes:
    """A legal .docx of about ``xml_bytes`` of document.xml, all paragraphs of text."""
    count = xml_bytes // len(_PARAGRAPH)
    body = f'<w:document xmlns:w="{_W}"><w:body>'.encode() + _PARAGRAPH * count
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("word/document.xml", body + b"</w:body></w:document>")
    return out.getvalue()


def dense_odt(xml_bytes: int = 29 << 20) -> bytes:
    """A legal .odt of about ``xml_bytes`` of content.xml, all paragraphs of text."""
    paragraph = b"<text:p>Our library lends e-readers in forty villages.</text:p>"
    content = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        b' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        b"<office:body><office:text>"
        + paragraph * (xml_bytes // len(paragraph))
        + b"</office:text></office:body></office:document-content>"
    )
    manifest = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        b'<manifest:file-entry manifest:full-path="/" manifest:media-type="'
        + ODT_TYPE.encode()
        + b'"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type='
        b'"text/xml"/></manifest:manifest>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", ODT_TYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return out.getvalue()


def dense_pdf(text_bytes: int = 10 << 20) -> bytes:
    """A one-page PDF whose content stream (Flate) shows about ``text_bytes`` of text."""
    line = b"(Our library lends e-readers in forty villages.) Tj T* "
    stream = zlib.compress(
        b"BT /F1 1 Tf 1 TL 10 700 Td " + line * (text_bytes // len(line)) + b"ET", 9
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
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
    return bytes(out)


def attached(document: bytes, filename: str, ctype: str, *, number: int = 1) -> bytes:
    """A member's contribution with ``document`` attached."""
    return (
        b"From: Hoa <hoa@members.test>\r\nTo: wsis@association.test\r\nSubject: WSIS\r\n"
        b"Message-ID: <bomb-%d@members.test>\r\n"
        % number
        + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n"
        b"--B\r\nContent-Type: " + ctype.encode() + b"\r\nContent-Disposition: attachment; "
        b"filename="
        + filename.encode()
        + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(document)
        + b"\r\n--B--\r\n"
    )
