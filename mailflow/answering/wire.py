"""The RFC 5322 writer of the mail mailflow sends: header fields, encoded words, text parts.

Mail is written out directly (headers folded by `email.header.Header` where folding is needed),
not through `EmailMessage`, whose header registry re-parses every header set and made
confirmations the costliest stage of a poll. Values reach this module cleaned already
(`mailflow.untrusted.clean`), so none can add a header; addresses are checked here (one plain
address, ASCII local part, IDNA domain). Its property tests (tests/answering/test_wire.py) check
that mail readers decode what it writes and that every line fits. What the mail says lives in
`mailflow.answering.compose`; sending it in `mailflow.answering.sinks`.
"""

from __future__ import annotations

import base64
import email.utils
import functools
import re
import secrets
from email.charset import Charset
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address

from mailflow.errors import ConfigError, DeliveryError
from mailflow.untrusted import clean

__all__ = [
    "CRLF",
    "MAX_LINE_OCTETS",
    "SUBJECT_ROOM",
    "Raw",
    "address_header",
    "ascii_domain",
    "config_header",
    "encoded_words",
    "header_line",
    "make_message_id",
    "recipient",
    "text_part",
]

CRLF = "\r\n"
_UTF8 = Charset("utf-8")  # RFC 2047 encoded words, Q or B, whichever is shorter
#: What the first line of a Subject header leaves for its value (78 characters in all).
SUBJECT_ROOM = 78 - len("Subject: ")
#: Longest body line written unencoded (RFC 5322 allows 998 octets; keep clear of it).
MAX_LINE_OCTETS = 900
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_DOMAIN = re.compile(r"[^\s@<>()\[\],;:\"\\]{1,253}")


def make_message_id(from_address: str) -> str:
    """A fresh ``<random@domain>`` id on the domain of ``from_address`` (display name allowed)."""
    return f"<mailflow.{secrets.token_hex(12)}@{_id_domain(from_address)}>"


@functools.lru_cache(maxsize=16)
def _id_domain(from_address: str) -> str:
    """The ASCII domain of a configured From address (worked out once per address)."""
    _name, address = email.utils.parseaddr(from_address)
    domain = address.rpartition("@")[2].strip().lower()
    if "@" not in address or not domain:
        raise ConfigError(f"no domain in the From address {from_address!r}", key="smtp.from")
    try:
        ascii_name = ascii_domain(domain)
    except ValueError as error:
        raise ConfigError(f"unusable domain in {from_address!r}", key="smtp.from") from error
    return ascii_name


class Raw(str):
    """A header value written exactly as given (ASCII, already folded): thread ids are never
    turned into encoded words or re-split, which would break threading."""


def header_line(name: str, value: str | Header) -> str:
    """One header field, folded at 78 characters, non-ASCII text as RFC 2047 encoded words."""
    if isinstance(value, Raw):
        return f"{name}: {value}\r\n"
    if isinstance(value, str):
        if _fits_as_is(name, value):  # what folding would give, without its cost
            return f"{name}: {value}\r\n"
        value = Header(value, header_name=name)
    return f"{name}: {value.encode(linesep=CRLF)}\r\n"


def encoded_words(text: str, first_room: int) -> str:
    """``text`` as RFC 2047 encoded words (UTF-8, base64), one per folded line.

    The first word takes at most ``first_room`` characters (what its line leaves after the
    header's name), the others a line of their own; no word is longer than 75 characters, and a
    word holds whole characters only, never part of one (RFC 2047 section 5). A mail reader
    joins the words back without spaces. `email.header.Header` writes the same when it picks
    base64, at five times the cost (it also works out a quoted-printable form to pick the
    shorter). Kept over `Header` after measuring seven subjects in the seven languages: `Header`
    wrote other bytes for three (quoted-printable for mostly Latin text, other split points in
    Arabic) and took 500 us a subject against 50 us.
    """
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    limit = (min(first_room, 75) - len("=?utf-8?b??=")) // 4 * 3  # UTF-8 bytes per word
    for char in text:
        width = len(char.encode("utf-8"))
        if chunk and size + width > limit:
            words.append("".join(chunk))
            chunk, size = [], 0
            limit = (75 - len("=?utf-8?b??=")) // 4 * 3
        chunk.append(char)
        size += width
    if chunk:
        words.append("".join(chunk))
    return "\r\n ".join(
        f"=?utf-8?b?{base64.b64encode(word.encode('utf-8')).decode('ascii')}?=" for word in words
    )


def _fits_as_is(name: str, value: str) -> bool:
    """True for a short ASCII value that `Header` would write unchanged: no line to fold, no
    line break, nothing that looks like an encoded word."""
    return (
        len(name) + 2 + len(value) <= 76
        and value.isascii()
        and "=?" not in value
        and "\r" not in value
        and "\n" not in value
    )


def text_part(text: str, subtype: str) -> bytes:
    """A UTF-8 text part with CRLF line ends: 7bit or 8bit when every line fits, base64 when
    one is too long."""
    lines = text.encode("utf-8").splitlines()
    if max((len(line) for line in lines), default=0) > MAX_LINE_OCTETS:
        encoding = "base64"
        payload = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
    else:
        encoding = "7bit" if text.isascii() else "8bit"
        payload = b"\r\n".join(lines) + (b"\r\n" if text.endswith(("\n", "\r")) else b"")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode("ascii") + payload


def address_header(address: Address) -> Header | str:
    """``address`` for a header: the display name quoted, or RFC 2047 encoded when not ASCII."""
    if not address.display_name:
        return address.addr_spec
    if address.display_name.isascii():
        return email.utils.formataddr((address.display_name, address.addr_spec))
    header = Header(address.display_name, _UTF8)
    header.append(f" <{address.addr_spec}>", "us-ascii")
    return header


@functools.lru_cache(maxsize=64)
def config_header(value: str, role: str, key: str | None) -> Raw:
    """The folded header value of a configured From / Reply-To (worked out once per value)."""
    address = address_header(_config_address(value, role, key=key))
    if isinstance(address, str):
        address = Header(address, header_name=role)
    return Raw(address.encode(linesep=CRLF))


def recipient(address: str, name: str) -> Address:
    """The To address, refusing anything that is not one plain address."""
    try:
        return _address(name, address.strip())
    except ValueError as error:
        raise DeliveryError(
            f"not a usable recipient address: {clean(address)!r}", permanent=True
        ) from error


def _config_address(value: str, role: str, *, key: str | None) -> Address:
    """The one address of a configured From / Reply-To value, its domain in ASCII."""
    pairs = email.utils.getaddresses([value])
    try:
        if len(pairs) != 1:
            raise ValueError(value)
        return _address(*pairs[0])
    except ValueError as error:
        raise ConfigError(f"{role} is not one usable mail address: {value!r}", key=key) from error


def _address(name: str, address: str) -> Address:
    """An Address with an ASCII local part and an IDNA-encoded domain; ValueError otherwise."""
    local, at, domain = address.rpartition("@")
    if not at or not _LOCAL_PART.fullmatch(local) or not _DOMAIN.fullmatch(domain):
        raise ValueError(address)
    try:
        return Address(display_name=name, username=local, domain=ascii_domain(domain.lower()))
    except HeaderParseError as error:
        raise ValueError(address) from error


def ascii_domain(domain: str) -> str:
    """``domain`` as ASCII (IDNA for internationalised names); ValueError if it cannot be."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValueError(domain) from error
