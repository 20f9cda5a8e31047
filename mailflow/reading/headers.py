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
from email.errors import MessageDefect
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from mailflow.untrusted import printable

_CR_ONLY = re.compile(rb"\r(?!\n)")
_MSGID = re.compile(r"<[^<>\s]+>")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


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
    try:
        message = email.message_from_bytes(raw, policy=_READ_POLICY)
    except RecursionError:
        # Pathologically deep multipart nesting: keep the headers, leave the body unparsed,
        # and say so (see `too_deeply_nested`).
        message = BytesHeaderParser(policy=_READ_POLICY).parsebytes(raw)
        message.defects.append(TooDeeplyNested("multipart nesting too deep to parse"))
    assert isinstance(message, EmailMessage)
    return message


class TooDeeplyNested(MessageDefect):
    """The body was left unparsed because its multipart nesting exhausted the parser."""


def too_deeply_nested(message: EmailMessage) -> bool:
    """True when `parse` gave up on the body of this message (headers only)."""
    return any(isinstance(d, TooDeeplyNested) for d in message.defects)


def header(message: EmailMessage, name: str) -> str:
    """The first value of header ``name`` as one line of decoded text, or "" if absent or broken."""
    try:
        value = message.get(name)
    except Exception:  # malformed headers make policy.default's parser raise many kinds of errors
        value = _raw_header(message, name)
    if value is None:
        return ""
    return _one_line(str(value))  # decodes an encoded word the header registry left alone


def raw_text(message: EmailMessage, name: str) -> str:
    """The first value of header ``name`` as one line, encoded words decoded, or "" if absent.

    Unlike `header`, the value is not parsed by the header registry (an address header's parse
    costs far more than reading it), so it keeps the sender's own quoting and spacing.
    """
    value = _raw_header(message, name)
    return "" if value is None else _one_line(value)


def _one_line(text: str) -> str:
    """A header value as one printable line, its encoded words decoded where they decode."""
    if "=?" in text:
        with contextlib.suppress(Exception):
            text = str(make_header(decode_header(text)))
    return printable(" ".join(text.split()))


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
    pairs = []
    for display, address in getaddresses([" ".join(raw.split())]):
        address = _decoded_address(address.strip()).lower()
        if "=?" in display:
            with contextlib.suppress(Exception):
                display = str(make_header(decode_header(display)))
        if address:
            pairs.append((printable(display).strip(), printable(address)))
    return tuple((d, a) for d, a in pairs if a)


def _decoded_address(address: str) -> str:
    """An addr-spec with encoded-words decoded, as Python's own folding produces them; kept
    encoded unless the result is still one plain address (it cannot smuggle in another)."""
    if "=?" not in address:
        return address
    try:
        decoded = _ENCODED_WORD.sub(lambda m: str(make_header(decode_header(m.group(0)))), address)
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
