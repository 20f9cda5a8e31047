"""Safe access to the headers of raw mail from strangers.

`parse` turns any bytes into an `EmailMessage` (policy.default) without raising; `header`,
`addresses` and `message_ids` read headers leniently, returning empty values instead of raising on
malformed input. This module knows nothing about bodies, attachments or what a message means:
body text lives in `mailflow.reading.mime`, meaning in `mailflow.reading.classify`.
"""

from __future__ import annotations

import contextlib
import email
import functools
import re
from datetime import datetime
from email import policy
from email.errors import MessageDefect, MissingHeaderBodySeparatorDefect
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from mailflow.reading.charsets import decode_bytes
from mailflow.untrusted import printable

_CR_ONLY = re.compile(rb"\r(?!\n)")
_MSGID = re.compile(r"<[^<>\s]+>")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
# A header field's first line: a name of printable characters other than the colon, then a colon.
_FIELD = re.compile(rb"[!-9;-~]+[ \t]*:")
_SPECIALS = re.compile(r'[,;<>@:"()\[\]\\]')
_ANGLE_ADDRESS = re.compile(r"<\s*([^<>\s]+@[^<>\s]+)\s*>")


class _ReadPolicy(EmailPolicy):
    """`policy.default` that parses each distinct header value once.

    The standard policy parses a header again on every read (``get_content_type`` reads
    Content-Type each time it is called), which made header parsing the largest cost of reading
    mail. Parsed headers are immutable, so equal (name, value) pairs share one parse.
    """

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name"):  # already a header object
            return value
        # As the standard policy does: CR and LF removed (not every line break splitlines knows).
        return _parsed_header(name, value.replace("\r", "").replace("\n", ""))


@functools.lru_cache(maxsize=256)  # parsed headers keep their parse trees: keep few
def _parsed_header(name: str, value: str) -> Any:
    return policy.default.header_factory(name, value)


_READ_POLICY = _ReadPolicy()


def parse(raw: bytes) -> EmailMessage:
    """Parse raw bytes with `policy.default`; CR-only line endings are normalised first."""
    if raw.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark some tools write first
        raw = raw[3:]
    if b"\r" in raw and b"\n" not in raw[:4096]:
        raw = _CR_ONLY.sub(b"\n", raw)
    if not _FIELD.match(raw) and not raw.startswith(b"From "):
        raw = _without_lead(raw)
    message = _parse(raw)
    if any(isinstance(d, MissingHeaderBodySeparatorDefect) for d in message.defects):
        # A line in the header block that is no field: a continuation line someone's software
        # wrote without its indentation. Mail clients read it as part of the field above.
        repaired = _rejoined(raw)
        if repaired is not None:
            message = _parse(repaired)
    return message


def _parse(raw: bytes) -> EmailMessage:
    try:
        message = email.message_from_bytes(raw, policy=_READ_POLICY)
    except RecursionError:
        # Pathologically deep multipart nesting: keep the headers, leave the body unparsed,
        # and say so (see `too_deeply_nested`).
        message = BytesHeaderParser(policy=_READ_POLICY).parsebytes(raw)
        message.defects.append(TooDeeplyNested("multipart nesting too deep to parse"))
    assert isinstance(message, EmailMessage)
    return message


_MAX_LEAD_LINES = 3


def _without_lead(raw: bytes) -> bytes:
    """``raw`` without blank or junk lines before its header fields (at most a few), when header
    fields follow them: the file some tools save starts with an empty line or a status line."""
    start = 0
    for _ in range(_MAX_LEAD_LINES):
        end = raw.find(b"\n", start)
        if end < 0:
            return raw
        start = end + 1
        if _FIELD.match(raw, start):
            following = raw.find(b"\n", start)
            second = following + 1 if following >= 0 else len(raw)
            # Two fields in a row, or one field and the end of the header block.
            if _FIELD.match(raw, second) or raw[second : second + 2] in (b"\n", b"\r\n"):
                return raw[start:]
    return raw


def _rejoined(raw: bytes) -> bytes | None:
    """The header block with each line that is no field joined to the field above it, when
    further fields follow it (otherwise the line starts a body that lacks its blank line)."""
    head_end = raw.find(b"\n\n")
    crlf_end = raw.find(b"\r\n\r\n")
    ends = [i for i in (head_end, crlf_end) if i >= 0]
    head = raw[: min(ends)] if ends else raw
    lines = head.split(b"\n")
    last_field = max((i for i, line in enumerate(lines) if _FIELD.match(line)), default=-1)
    changed = False
    for i in range(1, last_field):
        line = lines[i]
        if line.strip() and not _FIELD.match(line) and line[:1] not in (b" ", b"\t"):
            lines[i] = b" " + line
            changed = True
    return b"\n".join(lines) + raw[len(head) :] if changed else None


class TooDeeplyNested(MessageDefect):
    """The body was left unparsed because its multipart nesting exhausted the parser."""


def too_deeply_nested(message: EmailMessage) -> bool:
    """True when `parse` gave up on the body of this message (headers only)."""
    return any(isinstance(d, TooDeeplyNested) for d in message.defects)


def header(message: EmailMessage, name: str) -> str:
    """The first value of header ``name`` as one line of decoded text, or "" if absent or broken.

    Encoded words are decoded with the superset a charset label is used for in practice
    (gb2312 → gb18030, shift_jis → cp932…), and raw 8-bit bytes as UTF-8, else in the charset
    the message declares for its text, else by detection.
    """
    raw = _raw_header(message, name)
    if raw is not None and ("=?" in raw or not raw.isascii()):
        return _one_line(raw, message)  # the header registry would replace what it cannot decode
    try:
        value = message.get(name)
    except Exception:  # malformed headers make policy.default's parser raise many kinds of errors
        value = raw
    if value is None:
        return ""
    return _one_line(str(value))  # decodes an encoded word the header registry left alone


def raw_text(message: EmailMessage, name: str) -> str:
    """The first value of header ``name`` as one line, encoded words decoded, or "" if absent.

    Unlike `header`, the value is not parsed by the header registry (an address header's parse
    costs far more than reading it), so it keeps the sender's own quoting and spacing.
    """
    value = _raw_header(message, name)
    return "" if value is None else _one_line(value, message)


def _one_line(text: str, message: EmailMessage | None = None) -> str:
    """A header value as one printable line, its encoded words decoded where they decode."""
    text = _eight_bit(text, message)
    if "=?" in text:
        with contextlib.suppress(Exception):
            text = decode_words(text)
    return printable(" ".join(text.split()))


def decode_words(text: str) -> str:
    """``text`` with its RFC 2047 encoded words decoded, each charset by its superset."""
    pieces = []
    for chunk, charset in decode_header(text):
        if isinstance(chunk, str):
            pieces.append(chunk)
        elif charset is None or charset == "unknown-8bit":
            pieces.append(chunk.decode("ascii", "surrogateescape"))
        else:
            pieces.append(decode_bytes(chunk, charset)[0])
    return "".join(pieces)


def _eight_bit(text: str, message: EmailMessage | None) -> str:
    """Raw 8-bit header bytes (kept by the parser as surrogate escapes) decoded: UTF-8, else the
    charset the message declares for its text, else whatever detection finds."""
    if text.isascii() or not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    hint = _text_charset(message) if message is not None else None
    return decode_bytes(data, hint)[0]


def _text_charset(message: EmailMessage) -> str | None:
    """The charset declared for the message's text: its own, or its first part's."""
    part: object = message
    for _ in range(4):
        if not isinstance(part, Message):
            return None
        with contextlib.suppress(Exception):
            charset = part.get_param("charset")
            if isinstance(charset, str) and charset:
                return charset
        payload = part.get_payload()
        if not isinstance(payload, list) or not payload:
            return None
        part = payload[0]
    return None


def all_headers(message: EmailMessage, name: str) -> list[str]:
    """Every value of header ``name``, top first, each as one decoded line; broken ones skipped."""
    values: list[str] = []
    try:
        raw_values = message.get_all(name) or []
    except Exception:
        raw_values = [v for k, v in message.raw_items() if k.lower() == name.lower()]
    for value in raw_values:
        try:
            values.append(printable(" ".join(str(value).split())))
        except Exception:
            continue
    return values


def addresses(message: EmailMessage, name: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs of an address header; [] if absent or broken."""
    raw = _raw_header(message, name)
    if raw is None:
        return []
    return list(_addresses_in(raw))


@functools.lru_cache(maxsize=4096)  # classification asks for the sender several times
def _addresses_in(raw: str) -> tuple[tuple[str, str], ...]:
    # Split into addresses first, then decode each display name: decoding the whole value first
    # would let an encoded display name smuggle in an address of its own (sender spoofing).
    # An encoded word is one token: a comma or a bracket inside it ("=?iso-8859-1?Q?B=FCrling,
    # =20Andreas?=") separates nothing, so such words are set aside as quoted placeholders.
    words: list[str] = []

    def aside(match: re.Match[str]) -> str:
        words.append(match.group())
        return f'"\x00{len(words) - 1}\x00"'

    value = " ".join(_eight_bit(raw, None).split())
    if "=?" in value:
        value = _ENCODED_WORD.sub(
            lambda m: aside(m) if _SPECIALS.search(m.group()) else m.group(), value
        )
    pairs = []
    for display, address in getaddresses([value]):
        address = _decoded_address(address.strip()).lower()
        pairs.append((_display(display, words), address))
    pairs = [(d, a) for d, a in pairs if a]
    if len(pairs) > 1:
        # "Library [Main Branch] <a@b>": unquoted specials split the display name into
        # addresses of their own; with one address in angle brackets, that is the sender.
        real = [pair for pair in pairs if "@" in pair[1]]
        angled = _ANGLE_ADDRESS.findall(value)
        if len(real) == 1 and len(angled) == 1 and value.count("<") == 1:
            display = value[: value.index("<")].strip().strip('"').strip()
            pairs = [(_display(display, words), real[0][1])]
    return tuple((printable(d).strip(), printable(a)) for d, a in pairs)


def _display(display: str, words: list[str]) -> str:
    """A display name with set-aside encoded words put back, and all encoded words decoded."""
    if "\x00" in display:
        display = re.sub("\x00(\\d+)\x00", lambda m: words[int(m.group(1))], display)
    if "=?" in display:
        with contextlib.suppress(Exception):
            display = decode_words(display)
    return display


def _decoded_address(address: str) -> str:
    """An addr-spec with encoded-words decoded, as Python's own folding produces them; kept
    encoded unless the result is still one plain address (it cannot smuggle in another)."""
    if "=?" not in address:
        return address
    try:
        decoded = _ENCODED_WORD.sub(lambda m: decode_words(m.group(0)), address)
    except Exception:
        return address
    if decoded.count("@") == 1 and not any(c in decoded for c in ' <>,;:"()[]\\'):
        return decoded
    return address


def sender(message: EmailMessage) -> tuple[str, str]:
    """(display name, address) of the author; ("", "") when there is none or it is ambiguous."""
    found = addresses(message, "From")
    if len(found) > 1:
        # Several authors: RFC 5322 then names the one who sent it in Sender. Without it, the
        # mail is from nobody in particular (never a member by accident of order).
        agent = addresses(message, "Sender")
        return agent[0] if len(agent) == 1 else ("", "")
    return found[0] if found else ("", "")


def message_id(message: EmailMessage) -> str | None:
    """The Message-ID with its angle brackets, or None when missing or unusable."""
    ids = message_ids(_raw_header(message, "Message-ID") or "")
    return ids[0] if ids else None


def message_ids(value: str) -> list[str]:
    """All ``<id>`` tokens of a References / In-Reply-To / Message-ID value, in order."""
    return _MSGID.findall(value or "")


def date(message: EmailMessage) -> datetime | None:
    """The Date header as an aware datetime, or None when absent or unparseable."""
    raw = _raw_header(message, "Date")
    if not raw:
        return None
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else None


def _raw_header(message: EmailMessage, name: str) -> str | None:
    """The unparsed value of the first header called ``name`` (no header-registry parsing)."""
    lowered = name.lower()
    for key, value in message.raw_items():
        if key.lower() == lowered:
            return str(value) if not isinstance(value, str) else value
    return None
