"""Lenient access to the parts of a parsed message, shared by `mime` and `classify`.

Mail from strangers has broken Content-Type headers, undecodable payloads and parameters in
RFC 2231 form; every helper here returns an empty or default value instead of raising.
`walk` lists the parts below a root within fixed bounds, and `Facts` gathers what classification
reads from them once. This module does not decode text for reading (`mailflow.reading.mime`,
`mailflow.reading.charsets`) or decide what a message is (`mailflow.reading.classify`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage, Message

from mailflow.reading import headers

__all__ = ["Facts", "charset", "content_type", "filename", "param", "payload", "walk"]

# Bounds for walking a message: pathological nesting must not cost more than this.
MAX_PARTS = 400
MAX_DEPTH = 24

ARCHIVE_TYPES = frozenset(
    {"application/zip", "application/gzip", "application/x-gzip", "application/x-zip-compressed"}
)


def content_type(part: Message) -> str:
    """The lower-case content type, "text/plain" when the header is broken (RFC 2045 default)."""
    try:
        return part.get_content_type()
    except Exception:  # policy.default parses the header lazily and may raise on garbage
        return "text/plain"


def param(part: Message, name: str) -> str | None:
    """A Content-Type parameter as a string, or None."""
    try:
        value = part.get_param(name)
    except Exception:
        return None
    if isinstance(value, tuple):  # RFC 2231 (charset, language, value)
        value = value[2]
    return str(value) if value else None


def charset(part: Message) -> str | None:
    """The declared charset of a part, or None."""
    return param(part, "charset")


def filename(part: Message) -> str:
    """The attachment's file name, or ""."""
    try:
        return part.get_filename() or ""
    except Exception:
        return ""


def payload(part: Message) -> bytes:
    """The part's body with its transfer encoding undone; b"" for a multipart or a broken one."""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def walk(message: Message) -> Iterator[tuple[str, Message]]:
    """Every part below the root (bounded), without entering attached or enclosed messages."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    seen = 0
    while stack and seen < MAX_PARTS:
        part, depth = stack.pop()
        if depth >= MAX_DEPTH:
            continue
        children_of = part.get_payload()
        if not isinstance(children_of, list):
            continue
        if content_type(part).startswith("message/"):
            continue
        children = [child for child in children_of if isinstance(child, Message)]
        for child in children:
            seen += 1
            yield content_type(child), child
        stack.extend((child, depth + 1) for child in reversed(children))


@dataclass(frozen=True)
class Facts:
    """What one walk over a message's parts found; gathered once, read by every check."""

    message: EmailMessage
    content_type: str
    subject: str
    parts: tuple[tuple[str, Message], ...]  # (content type, part): the root, then its parts
    has_original: bool  # a message/rfc822 or text/rfc822-headers part
    calendar: bool
    archive_names: tuple[str, ...]

    @classmethod
    def of(cls, message: EmailMessage) -> Facts:
        parts = ((content_type(message), message), *walk(message))
        names = tuple(
            filename(p) for t, p in parts if t in ARCHIVE_TYPES or t.startswith("application/")
        )
        return cls(
            message=message,
            content_type=content_type(message),
            subject=unicodedata.normalize("NFC", headers.header(message, "Subject")),
            parts=parts,
            has_original=any(
                t in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
                for t, _ in parts
            ),
            calendar=any(t == "text/calendar" and param(p, "method") for t, p in parts),
            archive_names=names,
        )
