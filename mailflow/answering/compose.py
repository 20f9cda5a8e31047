"""Builds the mail mailflow writes to members: confirmations, the call for contributions, reminders.

Each builder is a pure function of its inputs (plus a random Message-ID): it renders the text and
HTML templates under ``templates/mail/`` in the member's language, sets the headers (threading,
``Auto-Submitted``, a Message-ID on the association's domain) and returns the finished RFC 5322
bytes as an `Outgoing`, which the outbox stores and sends as-is. Everything that came from a
stranger (names, subjects, file names, links) is cleaned of control characters before it goes near a
header, and HTML is autoescaped, so no member can add a header or markup. This module does not
decide who gets mail or when (that is `mailflow.pipeline`), does not send anything
(`mailflow.answering.outbox`), does not judge contributions (`mailflow.reading.validate`), does not
word the issues a confirmation lists (`mailflow.answering.explain`, whose `explain_issue` is
re-exported here) and does not build the report to IFLA (`mailflow.report.render`); languages,
catalogs and dates live in `mailflow.answering.i18n`.
"""

from __future__ import annotations

import base64
import email.utils
import functools
import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.charset import Charset
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address
from typing import Any, Protocol

from babel.dates import format_date, format_timedelta

from mailflow.answering.explain import explain_issue
from mailflow.answering.i18n import (
    SECTIONS,
    SUPPORTED_LANGUAGES,
    format_when,
    pick_language,
    render,
    section_label,
    translations,
)
from mailflow.errors import ConfigError, DeliveryError, StateError
from mailflow.reading import wsis
from mailflow.reading.headers import message_ids

__all__ = [
    "SUPPORTED_LANGUAGES",
    "CampaignInfo",
    "Confirmation",
    "IssueNote",
    "Outgoing",
    "call_for_contributions",
    "confirmation",
    "explain_issue",
    "make_message_id",
    "pick_language",
    "reminder",
    "reply_subject",
]

ACTION_LINE_CODES: tuple[str, ...] = tuple(line.code for line in wsis.ACTION_LINES)
#: The statuses a member is told about; held and rejected submissions get no automatic mail.
CONFIRMED_STATUSES: tuple[str, ...] = ("accepted", "needs_revision")
#: Longest subject, name or file name (in characters) copied from a member's mail.
MAX_UNTRUSTED = 200
#: At most this many References ids are kept (the first and the most recent ones).
MAX_REFERENCES = 20

# C0 and C1 controls (CR, LF, NUL, ESC, NEL…), line/paragraph separators, bidi overrides and
# isolates, the BOM and lone surrogates: none belongs in a name, a subject or a file name.
_UNSAFE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
_REPLY_PREFIX = re.compile(
    r"^(?:\s*(?:re|aw|sv|vs|antw|odp|ynt|rif|res|ответ|回复|回覆|答复|رد)\s*(?:\[\d+\]|\(\d+\))?"
    r"\s*[:：]\s*)+",
    re.IGNORECASE,
)
_SAFE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>")
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_DOMAIN = re.compile(r"[^\s@<>()\[\],;:\"\\]{1,253}")
_WEB_LINK = re.compile(r"https?://\S+", re.IGNORECASE)

# Mail is written out directly (headers folded by `email.header.Header`), not through
# `EmailMessage`, whose header registry re-parses every header set and made confirmations the
# costliest stage of a poll. Values are cleaned before they get here (`clean`), so none can add
# a header.
CRLF = "\r\n"
_UTF8 = Charset("utf-8")  # RFC 2047 encoded words, Q or B, whichever is shorter
#: What the first line of a Subject header leaves for its value (78 characters in all).
_SUBJECT_ROOM = 78 - len("Subject: ")
#: Longest body line written unencoded (RFC 5322 allows 998 octets; keep clear of it).
_MAX_LINE_OCTETS = 900


@dataclass(frozen=True)
class IssueNote:
    """One validation issue, as `mailflow.reading.validate` reports it."""

    code: str
    severity: str  # "error" | "hold" | "warning"
    params: Mapping[str, str | int] = field(default_factory=dict)

    @classmethod
    def of(cls, issue: _IssueLike) -> IssueNote:
        """The note for a `mailflow.reading.validate.Issue` (or anything with the same fields)."""
        return cls(code=issue.code, severity=str(issue.severity), params=dict(issue.params))


class _IssueLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def params(self) -> Mapping[str, str | int]: ...


@dataclass(frozen=True)
class CampaignInfo:
    """What a mail needs to know about the campaign; ``deadline`` is aware, in its time zone."""

    name: str
    association: str
    deadline: datetime
    word_limit: int
    from_address: str
    reply_to: str


@dataclass(frozen=True)
class Confirmation:
    """What to confirm to a member; every str from their mail is untrusted."""

    to_address: str
    to_name: str
    language: str
    original_subject: str
    original_message_id: str | None
    original_references: tuple[str, ...]
    received_at: datetime
    attachments_read: tuple[str, ...]
    status: str  # "accepted" | "needs_revision"
    issues: tuple[IssueNote, ...]
    action_lines: tuple[str, ...]
    links: tuple[str, ...]
    word_count: int
    version: int


@dataclass(frozen=True)
class Outgoing:
    """A finished mail: the outbox stores ``data`` and sends it unchanged."""

    message_id: str
    to_address: str
    subject: str
    data: bytes


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
        ascii_domain = _ascii_domain(domain)
    except ValueError as error:
        raise ConfigError(f"unusable domain in {from_address!r}", key="smtp.from") from error
    return ascii_domain


def reply_subject(original: str, fallback: str) -> str:
    """``Re: <original>`` without piling up prefixes; ``Re: <fallback>`` for an empty subject."""
    subject = _REPLY_PREFIX.sub("", clean(original)).strip()
    return f"Re: {subject or clean(fallback)}"


def clean(text: str, limit: int = MAX_UNTRUSTED) -> str:
    """Untrusted text as one safe line: NFC, no control characters, single spaces, ≤ limit chars."""
    text = _UNSAFE.sub(" ", unicodedata.normalize("NFC", text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def confirmation(conf: Confirmation, campaign: CampaignInfo, *, now: datetime) -> Outgoing:
    """The confirmation of one received contribution, in the member's language.

    Only accepted and needs-revision submissions are confirmed: anything else is a StateError,
    so a held message (e.g. from a stranger) can never cause backscatter.
    """
    if conf.status not in CONFIRMED_STATUSES:
        raise StateError(f"no confirmation is sent for a {conf.status!r} submission")
    language = pick_language(conf.language, None)
    trans = translations(language)
    zone = campaign.deadline.tzinfo
    issues = [(note, explain_issue(note, language, campaign)) for note in conf.issues]
    context = {
        "name": clean(conf.to_name),
        "association": campaign.association,
        "campaign": campaign.name,
        "subject": clean(conf.original_subject),
        "received": format_when(conf.received_at, zone, language),
        "attachments": [clean(name) for name in conf.attachments_read if clean(name)],
        "status": conf.status,
        "to_fix": [text for note, text in issues if note.severity != "warning"],
        "suggestions": [text for note, text in issues if note.severity == "warning"],
        "action_lines": [
            (clean(code, 8), _action_line_name(code, language)) for code in conf.action_lines
        ],
        "links": [link for link in (clean(link, 2000) for link in conf.links) if _is_web(link)],
        "word_count": conf.word_count,
        "word_limit": campaign.word_limit,
        "version": conf.version,
        "deadline": format_when(campaign.deadline, zone, language),
    }
    fallback = trans.gettext("Your contribution to %(campaign)s") % {"campaign": campaign.name}
    subject = reply_subject(conf.original_subject, fallback)
    thread = _thread(conf.original_message_id, conf.original_references)
    return _build(
        campaign=campaign,
        to_address=conf.to_address,
        to_name=conf.to_name,
        language=language,
        subject=subject,
        template="confirmation",
        context=context,
        auto_submitted="auto-replied",
        now=now,
        thread=thread,
    )


def call_for_contributions(
    to_address: str, to_name: str, language: str, campaign: CampaignInfo, *, now: datetime
) -> Outgoing:
    """The call for contributions: the rules, the deadline and a fill-in template."""
    language = pick_language(language, None)
    trans = translations(language)
    context = _campaign_context(to_name, language, campaign)
    context["action_lines"] = [
        (code, _action_line_name(code, language)) for code in ACTION_LINE_CODES
    ]
    context["labels"] = [section_label(section, language) for section in SECTIONS]
    subject = trans.gettext("%(campaign)s: call for contributions (deadline %(day)s)") % {
        "campaign": campaign.name,
        "day": context["deadline_day"],
    }
    return _build(
        campaign=campaign,
        to_address=to_address,
        to_name=to_name,
        language=language,
        subject=subject,
        template="call",
        context=context,
        auto_submitted="auto-generated",
        now=now,
        thread=None,
    )


def reminder(
    to_address: str, to_name: str, language: str, campaign: CampaignInfo, *, now: datetime
) -> Outgoing:
    """A short reminder: the deadline and how much time is left. Refused once it has passed."""
    left = campaign.deadline - now
    if left <= timedelta(0):
        raise StateError(f"the deadline of {campaign.name} has passed; no reminder is sent")
    language = pick_language(language, None)
    trans = translations(language)
    context = _campaign_context(to_name, language, campaign)
    context["time_left"] = _time_left(left, language)
    subject = trans.gettext("Reminder: %(campaign)s, deadline %(day)s") % {
        "campaign": campaign.name,
        "day": context["deadline_day"],
    }
    return _build(
        campaign=campaign,
        to_address=to_address,
        to_name=to_name,
        language=language,
        subject=subject,
        template="reminder",
        context=context,
        auto_submitted="auto-generated",
        now=now,
        thread=None,
    )


def _campaign_context(to_name: str, language: str, campaign: CampaignInfo) -> dict[str, Any]:
    zone = campaign.deadline.tzinfo
    return {
        "name": clean(to_name),
        "association": campaign.association,
        "campaign": campaign.name,
        "word_limit": campaign.word_limit,
        "deadline": format_when(campaign.deadline, zone, language),
        "deadline_day": format_date(campaign.deadline.astimezone(zone), "long", locale=language),
    }


def _build(
    *,
    campaign: CampaignInfo,
    to_address: str,
    to_name: str,
    language: str,
    subject: str,
    template: str,
    context: Mapping[str, object],
    auto_submitted: str,
    now: datetime,
    thread: tuple[str, list[str]] | None,
) -> Outgoing:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    recipient = _recipient(to_address, clean(to_name))
    message_id = make_message_id(campaign.from_address)
    # A random boundary cannot occur in the parts, so they need not be searched for it.
    boundary = f"=_mailflow_{secrets.token_hex(16)}"
    fields: list[tuple[str, str | Header]] = [
        ("From", _config_header(campaign.from_address, "From", "smtp.from")),
        ("To", _address_header(recipient)),
        ("Reply-To", _config_header(campaign.reply_to, "Reply-To", None)),
        ("Subject", subject if subject.isascii() else _Raw(_encoded_words(subject, _SUBJECT_ROOM))),
        ("Date", _Raw(email.utils.format_datetime(now))),
        ("Message-ID", _Raw(message_id)),
    ]
    if thread is not None:
        fields.append(("In-Reply-To", _Raw(thread[0])))
        fields.append(("References", _Raw("\r\n ".join(thread[1]))))  # one id per folded line
    fields += [
        ("Auto-Submitted", _Raw(auto_submitted)),
        # Asks Exchange/Outlook not to answer an automatic mail with out-of-office replies.
        ("X-Auto-Response-Suppress", _Raw("All")),
        ("MIME-Version", _Raw("1.0")),
        ("Content-Type", _Raw(f'multipart/alternative; boundary="{boundary}"')),
        ("Content-Language", _Raw(language)),
    ]
    parts = [
        _text_part(render(f"mail/{template}.txt", language, context), "plain"),
        _text_part(render(f"mail/{template}.html", language, context), "html"),
    ]
    head = "".join(_header_line(name, value) for name, value in fields).encode("ascii")
    delimiter = b"--" + boundary.encode("ascii")
    body = b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in parts)
    return Outgoing(
        message_id=message_id,
        to_address=recipient.addr_spec,
        subject=subject,
        data=head + b"\r\n" + body + delimiter + b"--\r\n",
    )


class _Raw(str):
    """A header value written exactly as given (ASCII, already folded): thread ids are never
    turned into encoded words or re-split, which would break threading."""


def _header_line(name: str, value: str | Header) -> str:
    """One header field, folded at 78 characters, non-ASCII text as RFC 2047 encoded words."""
    if isinstance(value, _Raw):
        return f"{name}: {value}\r\n"
    if isinstance(value, str):
        if _fits_as_is(name, value):  # what folding would give, without its cost
            return f"{name}: {value}\r\n"
        value = Header(value, header_name=name)
    return f"{name}: {value.encode(linesep=CRLF)}\r\n"


def _encoded_words(text: str, first_room: int) -> str:
    """``text`` as RFC 2047 encoded words (UTF-8, base64), one per folded line.

    The first word takes at most ``first_room`` characters (what its line leaves after the
    header's name), the others a line of their own; no word is longer than 75 characters, and a
    word holds whole characters only, never part of one (RFC 2047 section 5). A mail reader
    joins the words back without spaces. `email.header.Header` writes the same when it picks
    base64, at five times the cost (it also works out a quoted-printable form to pick the
    shorter).
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


def _text_part(text: str, subtype: str) -> bytes:
    """A UTF-8 text part with CRLF line ends: 7bit or 8bit when every line fits, base64 when
    one is too long."""
    lines = text.encode("utf-8").splitlines()
    if max((len(line) for line in lines), default=0) > _MAX_LINE_OCTETS:
        encoding = "base64"
        payload = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
    else:
        encoding = "7bit" if text.isascii() else "8bit"
        payload = b"\r\n".join(lines) + (b"\r\n" if text.endswith(("\n", "\r")) else b"")
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode("ascii") + payload


def _address_header(address: Address) -> Header | str:
    """``address`` for a header: the display name quoted, or RFC 2047 encoded when not ASCII."""
    if not address.display_name:
        return address.addr_spec
    if address.display_name.isascii():
        return email.utils.formataddr((address.display_name, address.addr_spec))
    header = Header(address.display_name, _UTF8)
    header.append(f" <{address.addr_spec}>", "us-ascii")
    return header


@functools.lru_cache(maxsize=64)
def _config_header(value: str, role: str, key: str | None) -> _Raw:
    """The folded header value of a configured From / Reply-To (worked out once per value)."""
    address = _address_header(_config_address(value, role, key=key))
    if isinstance(address, str):
        address = Header(address, header_name=role)
    return _Raw(address.encode(linesep=CRLF))


def _recipient(address: str, name: str) -> Address:
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
        return Address(display_name=name, username=local, domain=_ascii_domain(domain.lower()))
    except HeaderParseError as error:
        raise ValueError(address) from error


def _ascii_domain(domain: str) -> str:
    """``domain`` as ASCII (IDNA for internationalised names); ValueError if it cannot be."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValueError(domain) from error


def _thread(original_id: str | None, references: Sequence[str]) -> tuple[str, list[str]] | None:
    """(In-Reply-To, References) for a reply, or None when the original has no usable id."""
    originals = [i for i in message_ids(original_id or "") if _SAFE_ID.fullmatch(i)]
    if not originals:
        return None
    chain: list[str] = []
    for value in (*references, originals[0]):
        for token in message_ids(value):
            if _SAFE_ID.fullmatch(token) and token not in chain:
                chain.append(token)
    if originals[0] in chain:  # the original id always comes last
        chain.remove(originals[0])
    chain.append(originals[0])
    if len(chain) > MAX_REFERENCES:  # keep the thread's root and the most recent ids
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return originals[0], chain


def _time_left(left: timedelta, language: str) -> str:
    """Whole days left ("20 days"), else whole hours, else minutes; never rounded up."""
    # A huge threshold keeps Babel from switching to larger units ("3 weeks").
    if left >= timedelta(days=1):
        days = timedelta(days=left.days)
        return format_timedelta(days, granularity="day", threshold=1e9, locale=language)
    if left >= timedelta(hours=1):
        hours = timedelta(hours=left.seconds // 3600)
        return format_timedelta(hours, granularity="hour", threshold=1e9, locale=language)
    minutes = timedelta(minutes=max(1, left.seconds // 60))
    return format_timedelta(minutes, granularity="minute", threshold=1e9, locale=language)


def _is_web(link: str) -> bool:
    return _WEB_LINK.fullmatch(link) is not None


def _action_line_name(code: str, language: str) -> str:
    try:
        return wsis.action_line(code).name(language)
    except (KeyError, ValueError):  # a code validate never produces; show it as it is
        return ""
