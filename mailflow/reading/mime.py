"""Raw message bytes to the decoded text of a message: headers, body, attachments.

`read_message` parses any bytes with the standard library (`policy.default`, through
`mailflow.reading.headers`), walks the MIME tree iteratively within the caps of `Limits`, prefers
text/plain and falls back to HTML (`mailflow.reading.html`), appends forwarded messages
(message/rfc822) after a marker line, reads .txt and .html attachments itself and hands .docx, .odt
and .pdf attachments to the readers of `mailflow.reading.documents` (python-docx, odfpy, pypdf, the
zip-bomb checks), decodes every declared charset (`mailflow.reading.charsets`) and returns NFC text
with ``\\n`` line endings. It never raises:
caps hit and defects found are reported in ``problems``. It does not strip quoted replies or
signatures (`mailflow.reading.quotes`), decide what a message is (`mailflow.reading.classify`) or
find contribution fields and links in text (`mailflow.reading.contribution`).
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage, Message

from mailflow.reading import headers
from mailflow.reading.charsets import decode_bytes, html_charset, tidy
from mailflow.reading.documents import (
    Budget,
    DocumentTimeout,
    Limits,
    deadline,
    read_docx,
    read_odt,
    read_pdf,
)
from mailflow.reading.html import html_to_text
from mailflow.reading.parts import charset, payload

__all__ = ["FORWARD_MARKER", "AttachmentText", "Limits", "MessageText", "read_message"]

FORWARD_MARKER = "---------- Forwarded message ----------"
_DEFAULT_LIMITS = Limits()


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

    budget: Budget
    segments: list[tuple[str, str]] = field(default_factory=list)  # (format, text)
    links: list[str] = field(default_factory=list)
    attachments: list[AttachmentText] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fallback: bool = False
    read_count: int = 0

    def problem(self, code: str) -> None:
        if code not in self.problems:
            self.problems.append(code)

    @property
    def limits(self) -> Limits:
        return self.budget.limits

    def expired(self) -> bool:
        return self.budget.expired()


def read_message(
    raw: bytes, limits: Limits = _DEFAULT_LIMITS, *, parsed: EmailMessage | None = None
) -> MessageText:
    """Decode ``raw`` into a `MessageText`; never raises for any input bytes.

    ``parsed`` is ``raw`` as `mailflow.reading.headers.parse` returned it, when the caller has it:
    the bytes are then not parsed a second time.
    """
    walk = _Walk(budget=Budget.start(limits))
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
    body = tidy("\n\n".join(t.strip() for _, t in walk.segments if t.strip()))
    return MessageText(
        subject=tidy(headers.header(message, "Subject")),
        from_name=tidy(name),
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
    enclosed = part.get_payload()
    inner = enclosed[0] if isinstance(enclosed, list) and enclosed else None
    if not isinstance(inner, EmailMessage):
        return None
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if cte in ("base64", "quoted-printable") and not inner.keys():
        wrapper = Message()
        wrapper.set_payload(str(inner.get_payload()))
        wrapper["Content-Transfer-Encoding"] = cte
        return headers.parse(payload(wrapper))
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


def _body_text(part: Message, ctype: str, walk: _Walk) -> str:
    data = payload(part)
    if ctype == "text/html":
        html = _decode_recorded(data, html_charset(data, charset(part)), walk)
        text, links = html_to_text(html, walk.limits.max_text_chars)
        walk.links.extend(links)
        return text
    return tidy(_decode_recorded(data, charset(part), walk), walk.limits.max_text_chars)


def _decode_recorded(data: bytes, declared: str | None, walk: _Walk) -> str:
    text, fallback = decode_bytes(data, declared)
    walk.fallback = walk.fallback or fallback
    return text


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        return ""
    if isinstance(name, tuple):
        name = name[2]
    return tidy(" ".join(str(name).split()))


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
    data = payload(part)
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
    try:
        with warnings.catch_warnings(), deadline(walk.budget):
            warnings.simplefilter("ignore")
            text, links, problem = _READERS[kind](data, part, walk)
    except DocumentTimeout:
        walk.problem("timeout")
        return made(problem="timeout")
    except Exception:
        return made(problem="unreadable")
    finally:
        if kind in _CYCLIC_READERS:
            # odfpy's tree and pypdf's objects refer to each other in cycles, which only the
            # collector frees; the poll runs it seldom, so a large document's leftovers would
            # stay while the next one is read (a poll of document bombs peaked at 714 MiB).
            gc.collect()
    return made(tidy(text, walk.limits.max_text_chars), links, problem)


#: Readers whose objects form reference cycles: what they leave is collected at once.
_CYCLIC_READERS = frozenset({"odt", "pdf"})


_Read = tuple[str, list[str], str | None]  # text, links, problem


def _read_txt(data: bytes, part: Message, walk: _Walk) -> _Read:
    return _decode_recorded(data, charset(part), walk), [], None


def _read_html(data: bytes, part: Message, walk: _Walk) -> _Read:
    html = _decode_recorded(data, html_charset(data, charset(part)), walk)
    text, links = html_to_text(html, walk.limits.max_text_chars)
    return text, links, None


_READERS: dict[str, Callable[[bytes, Message, _Walk], _Read]] = {
    "txt": _read_txt,
    "html": _read_html,
    "docx": lambda data, part, walk: read_docx(data, walk.budget),
    "odt": lambda data, part, walk: read_odt(data, walk.budget),
    "pdf": lambda data, part, walk: read_pdf(data, walk.budget),
}
