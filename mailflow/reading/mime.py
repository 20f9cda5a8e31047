"""Raw message bytes to the decoded text of a message: headers, body, attachments.

`read_message` parses any bytes with the standard library (`policy.default`, through
`mailflow.reading.headers`), walks the MIME tree iteratively within the caps of `Limits`, prefers
text/plain and falls back to HTML converted with inscriptis, appends forwarded messages
(message/rfc822) after a marker line, reads .txt and .html attachments itself and hands .docx, .odt
and .pdf attachments to the readers of `mailflow.reading.documents` (python-docx, odfpy, pypdf, the
zip-bomb checks), decodes every declared charset (detecting with charset-normalizer when a
declaration is missing or wrong) and returns NFC text with ``\\n`` line endings. It never raises:
caps hit and defects found are reported in ``problems``. It does not strip quoted replies or
signatures (`mailflow.reading.quotes`), decide what a message is (`mailflow.reading.classify`) or
find contribution fields and links in text (`mailflow.reading.contribution`).
"""

from __future__ import annotations

import re
import time
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage, Message
from html import unescape
from typing import Any

import charset_normalizer
import lxml.html
from inscriptis import Inscriptis
from inscriptis.model.config import ParserConfig

from mailflow.reading import headers
from mailflow.reading.documents import DocumentTimeout, read_docx, read_odt, read_pdf

FORWARD_MARKER = "---------- Forwarded message ----------"


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
class AttachmentText:
    """One attachment and, when it could be read, its text and hyperlinks."""

    filename: str
    content_type: str
    size: int
    text: str
    links: tuple[str, ...]
    problem: str | None  # unsupported_type, too_large, zip_bomb, too_many_pages, unreadable,
    # skipped_limit, timeout


@dataclass(frozen=True)
class MessageText:
    """The decoded text of a message and what was hit while reading it."""

    subject: str
    from_name: str
    from_address: str
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    date: datetime | None
    body: str
    body_format: str  # "plain" | "html" | "none"
    links: tuple[str, ...]
    attachments: tuple[AttachmentText, ...]
    charset_fallback: bool  # a declared charset was wrong, unknown or missing: detection was used
    problems: tuple[str, ...]  # message_too_large, too_many_parts, too_many_attachments, timeout,
    # mime_defects, too_deeply_nested, unreadable


@dataclass
class _Walk:
    """Mutable state of one read: the budget and everything collected so far."""

    limits: Limits
    deadline: float
    segments: list[tuple[str, str]] = field(default_factory=list)  # (format, text)
    links: list[str] = field(default_factory=list)
    attachments: list[AttachmentText] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fallback: bool = False
    read_count: int = 0

    def problem(self, code: str) -> None:
        if code not in self.problems:
            self.problems.append(code)

    def expired(self) -> bool:
        return time.monotonic() > self.deadline


def read_message(
    raw: bytes, limits: Limits = Limits(), *, parsed: EmailMessage | None = None
) -> MessageText:
    """Decode ``raw`` into a `MessageText`; never raises for any input bytes.

    ``parsed`` is ``raw`` as `mailflow.reading.headers.parse` returned it, when the caller has it:
    the bytes are then not parsed a second time.
    """
    walk = _Walk(limits=limits, deadline=time.monotonic() + limits.max_seconds)
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # some tools save mail with a UTF-8 byte-order mark
    try:
        if len(raw) > limits.max_message_bytes:
            walk.problem("message_too_large")
            message = headers.parse(_header_section(raw))
        else:
            message = _parse(raw, walk) if parsed is None else _checked(parsed, walk)
            if "too_deeply_nested" not in walk.problems:
                _walk_parts(message, walk)
    except Exception:  # a last guard: the parts above already contain their own failures
        walk.problem("unreadable")
        message = headers.parse(b"")
    try:
        return _result(message, walk)
    except Exception:
        walk.problem("unreadable")
        return _result(headers.parse(b""), walk)


def _parse(raw: bytes, walk: _Walk) -> EmailMessage:
    """The parsed message (headers only when the nesting was too deep for the parser)."""
    return _checked(headers.parse(raw), walk)


def _checked(message: EmailMessage, walk: _Walk) -> EmailMessage:
    if headers.too_deeply_nested(message):
        walk.problem("too_deeply_nested")
    return message


def _header_section(raw: bytes) -> bytes:
    """The bytes before the first empty line (at most 1 MiB), for a message too large to walk."""
    head = raw[: 1024 * 1024]
    ends = [i for i in (head.find(b"\n\n"), head.find(b"\r\n\r\n")) if i >= 0]
    return head[: min(ends)] + b"\n\n" if ends else head


def _result(message: EmailMessage, walk: _Walk) -> MessageText:
    name, address = headers.sender(message)
    kinds = {fmt for fmt, _ in walk.segments}
    body = _tidy("\n\n".join(t.strip() for _, t in walk.segments if t.strip()), None)
    return MessageText(
        subject=_tidy(headers.header(message, "Subject"), None),
        from_name=_tidy(name, None),
        from_address=address.lower(),
        message_id=headers.message_id(message),
        in_reply_to=tuple(headers.message_ids(headers.header(message, "In-Reply-To"))),
        references=tuple(headers.message_ids(headers.header(message, "References"))),
        date=headers.date(message),
        body=body,
        body_format="plain" if "plain" in kinds else "html" if "html" in kinds else "none",
        links=tuple(dict.fromkeys(walk.links)),
        attachments=tuple(walk.attachments),
        charset_fallback=walk.fallback,
        problems=tuple(walk.problems),
    )


# --- walking the tree ---------------------------------------------------------------------------

# A task is a part to visit (with the part to use instead if it turns out blank) or a text segment.
_Task = tuple[Message, Message | None] | str


def _walk_parts(root: Message, walk: _Walk) -> None:
    """Visit parts depth-first with an explicit stack, so nesting depth cannot exhaust the stack."""
    stack: list[_Task] = [(root, None)]
    visited = 0
    while stack:
        task = stack.pop()
        if isinstance(task, str):
            walk.segments.append(("marker", task))
            continue
        if walk.expired():
            walk.problem("timeout")
            return
        visited += 1
        if visited > walk.limits.max_parts:
            walk.problem("too_many_parts")
            return
        part, instead = task
        try:
            if part.defects:
                walk.problem("mime_defects")
            stack.extend(reversed(_visit(part, instead, walk, top=visited == 1)))
        except Exception:
            walk.problem("mime_defects")


def _visit(part: Message, instead: Message | None, walk: _Walk, *, top: bool) -> list[_Task]:
    """Handle one part; return the tasks it expands into, in document order."""
    ctype = part.get_content_type()
    if ctype.startswith("multipart/") and not part.is_multipart():
        ctype = "text/plain"  # no usable boundary: the parser left the parts as one text
    if ctype == "message/rfc822":
        enclosed = _enclosed(part)
        return [_forward_marker(enclosed), (enclosed, None)] if enclosed is not None else []
    if part.is_multipart() and ctype.startswith("multipart/"):
        children = [c for c in part.get_payload() if isinstance(c, Message)]
        if ctype == "multipart/alternative" and children:
            return [_choose_alternative(children)]
        return [(c, None) for c in children]
    if ctype in ("text/plain", "text/html") and not _is_attachment(part, top=top):
        text = _body_text(part, ctype, walk)
        if not text.strip() and instead is not None:
            return [(instead, None)]
        walk.segments.append(("plain" if ctype == "text/plain" else "html", text))
        return []
    walk.attachments.append(_attachment(part, ctype, walk))
    return []


def _enclosed(part: Message) -> EmailMessage | None:
    """The message inside a message/rfc822 part, decoding a (non-standard) base64 or QP wrapping."""
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, EmailMessage):
        return None
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if cte in ("base64", "quoted-printable") and not inner.keys():
        wrapper = Message()
        wrapper.set_payload(str(inner.get_payload()))
        wrapper["Content-Transfer-Encoding"] = cte
        return headers.parse(_payload(wrapper))
    return inner


def _choose_alternative(children: list[Message]) -> tuple[Message, Message | None]:
    """text/plain if there is one (the richest other part in reserve), else the richest part."""
    plain = [c for c in children if c.get_content_type() == "text/plain"]
    others = [c for c in children if c.get_content_type() != "text/plain"]
    if plain:
        return (plain[0], others[-1] if others else None)
    return (children[-1], None)


def _is_attachment(part: Message, *, top: bool) -> bool:
    """Marked as an attachment, or a named file (except the message's own single part)."""
    disposition = part.get_content_disposition()
    if disposition == "attachment":
        return True
    return not top and disposition != "inline" and bool(_filename(part))


def _forward_marker(inner: EmailMessage) -> str:
    lines = [FORWARD_MARKER]
    for name in ("From", "Date", "Subject", "To"):
        if value := headers.header(inner, name):
            lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _body_text(part: Message, ctype: str, walk: _Walk) -> str:
    data = _payload(part)
    if ctype == "text/html":
        html = _decode_html(data, _charset(part), walk)
        text, links = _html_to_text(html, walk.limits)
        walk.links.extend(links)
        return text
    return _tidy(_decode_recorded(data, _charset(part), walk), walk.limits)


def _charset(part: Message) -> str | None:
    try:
        value = part.get_param("charset")
    except Exception:
        return None
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value) if value else None


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        return ""
    if isinstance(name, tuple):
        name = name[2]
    return _tidy(" ".join(str(name).split()), None)


# --- charsets -----------------------------------------------------------------------------------

# Labels whose real-world use is a superset encoding: decode with the superset first.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
    "iso-2022-jp": "iso2022_jp_ext",
}


_SINGLE_BYTE = re.compile(
    r"^(?:iso[-_]?8859[-_]?\d+|latin[-_]?\d|(?:windows|cp)[-_]?125\d|us-ascii)$"
)


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, bool]:
    """Decode ``data`` per the ``declared`` charset; (text, True) when detection had to be used."""
    label = (declared or "").strip().strip("\"'").lower()
    if not data:
        return "", False
    if _SINGLE_BYTE.match(label) and not data.isascii():
        try:  # UTF-8 sent under a Latin label: valid UTF-8 by chance is all but impossible
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            pass
    if label:
        for codec in (_SUPERSETS.get(label), label):
            if codec:
                try:
                    return data.decode(codec), False
                except (LookupError, UnicodeError):
                    continue
    elif data.isascii():
        return data.decode("ascii"), False
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data).best()
    if best is not None:
        return str(best), True
    return data.decode("utf-8", "replace"), True


def _decode_recorded(data: bytes, declared: str | None, walk: _Walk) -> str:
    text, fallback = decode_bytes(data, declared)
    walk.fallback = walk.fallback or fallback
    return text


_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def _decode_html(data: bytes, declared: str | None, walk: _Walk) -> str:
    if not declared:
        found = _META_CHARSET.search(data[:4096])
        if found:
            declared = found.group(1).decode("ascii")
    return _decode_recorded(data, declared, walk)


def _tidy(text: str, limits: Limits | None) -> str:
    """NFC, ``\\n`` line endings, no NULs; cut to the per-part cap when ``limits`` is given."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").lstrip("\ufeff")
    if limits is not None:
        text = text[: limits.max_text_chars]
    return unicodedata.normalize("NFC", text)


# --- HTML ---------------------------------------------------------------------------------------

_HTML_CONFIG = ParserConfig(display_links=False, display_anchors=False)
_BLOCKS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol")
_MAX_CELL_CHARS = 300


def _html_to_text(html: str, limits: Limits) -> tuple[str, list[str]]:
    """Readable text of an HTML document (tables one row per line) and its http(s) anchors."""
    html = html.replace("\x00", "")[: 5 * limits.max_text_chars]
    if not html.strip():
        return "", []
    try:
        tree = lxml.html.document_fromstring(html)
    except Exception:
        return _tidy(_strip_tags(html), limits), []
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
        text = _strip_tags(html)
    return _tidy(text, limits), links


def _strip_tags(html: str) -> str:
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


# --- attachments --------------------------------------------------------------------------------

_KINDS_BY_EXT = {".txt": "txt", ".docx": "docx", ".odt": "odt", ".pdf": "pdf"}
_KINDS_BY_EXT |= {".html": "html", ".htm": "html"}
_KINDS_BY_TYPE = {
    "text/plain": "txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/pdf": "pdf",
    "text/html": "html",
}


def _attachment(part: Message, ctype: str, walk: _Walk) -> AttachmentText:
    name = _filename(part)
    data = _payload(part)
    ext = name[name.rfind(".") :].lower() if "." in name else ""
    kind = _KINDS_BY_EXT.get(ext) or _KINDS_BY_TYPE.get(ctype)

    def made(
        text: str = "", links: list[str] | None = None, problem: str | None = None
    ) -> AttachmentText:
        unique = tuple(dict.fromkeys(links or []))
        return AttachmentText(name, ctype, len(data), text, unique, problem)

    if kind is None:
        return made(problem="unsupported_type")
    if walk.read_count >= walk.limits.max_attachments:
        walk.problem("too_many_attachments")
        return made(problem="skipped_limit")
    walk.read_count += 1
    if len(data) > walk.limits.max_attachment_bytes:
        return made(problem="too_large")
    if walk.expired():
        walk.problem("timeout")
        return made(problem="timeout")
    readers: dict[str, Callable[[bytes, Message, _Walk], tuple[str, list[str], str | None]]] = {
        "txt": _read_txt,
        "html": _read_html,
        "docx": read_docx,
        "odt": read_odt,
        "pdf": read_pdf,
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text, links, problem = readers[kind](data, part, walk)
    except DocumentTimeout:
        walk.problem("timeout")
        return made(problem="timeout")
    except Exception:
        return made(problem="unreadable")
    return made(_tidy(text, walk.limits), links, problem)


def _read_txt(data: bytes, part: Message, walk: _Walk) -> tuple[str, list[str], str | None]:
    return _decode_recorded(data, _charset(part), walk), [], None


def _read_html(data: bytes, part: Message, walk: _Walk) -> tuple[str, list[str], str | None]:
    text, links = _html_to_text(_decode_html(data, _charset(part), walk), walk.limits)
    return text, links, None
