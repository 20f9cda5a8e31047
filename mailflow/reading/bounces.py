"""Bounces: who a returned mail failed for, which mail it returns, and whether it is final.

`is_daemon` recognises a mail system's delivery agent by its sender; `by_evidence` recognises a
bounce from a postmaster-like or null sender with bounce-like content (a bounce subject in several
languages, failed recipients found by `flufl.bounce`, the returned original attached, or
delivery-failure phrases in the text), or from a bounce subject with failed recipients or an
attached original; `describe` reads a bounce's DSN blocks (or flufl.bounce's findings) into a
`Bounce`. `flufl.bounce` alone is never enough: its heuristics "find" recipients in uuencoded
attachments of ordinary mail. This module does not decide the order of the checks or the kind of a
message (`mailflow.reading.classify`), and does not mark outbox mail (`mailflow.intake`).
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message

from flufl.bounce import all_failures

from mailflow.reading import headers
from mailflow.reading.parts import Facts

__all__ = ["Bounce", "by_evidence", "describe", "is_daemon"]

_BODY_SCAN_CHARS = 8000

_SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded"})
NULL_SENDER = re.compile(r"^\s*<\s*>\s*$")
_EMPTY_ADDRESS = re.compile(r"<\s*>")
_DAEMON_NAMES = re.compile(
    r"^(mailer[-_ ]?da?emon|mail delivery (subsystem|system|service))$", re.I
)
_POSTMASTER_LOCALS = frozenset({"postmaster", "mailerdaemon", "mdaemon", "poostmaster"})

_BOUNCE_SUBJECT = re.compile(
    r"undeliver(able|ed)|returned mail|returning message|return(ed)? to sender"
    r"|delivery (status notification|failure|failed|has failed|problem|notification|report)"
    r"|failure (notice|delivery)|mail delivery failed|(could|can)( ?no|')t be delivered"
    r"|not delivered|mail system error|non-?deliver|delayed mail|could not send message"
    r"|mail error|permanent delivery failure|bounce notification|message delivery has failed"
    r"|недоставлен|не доставлен|メールエラー|配信できません|配信不能|退信|未送达|投递失败"
    r"|không gửi được|non remis|non distribuable|no se pudo entregar|unzustellbar"
    r"|nicht zustellbar",
    re.I,
)
_BOUNCE_BODY = re.compile(
    r"no such (user|mailbox|recipient)|user unknown|unknown (user|recipient|mailbox)"
    r"|invalid (user|recipient|address|mailbox)|mailbox (is )?(full|unavailable|not found)"
    r"|(could|can)( ?no|')t be delivered|undeliverable|delivery (has )?failed"
    r"|permanent(ly)? (fatal )?(error|failure)|(address|recipient) rejected",
    re.I,
)
_BASE64_BLOCK = re.compile(r"[A-Za-z0-9+/=\s]+")
_DELAY_SUBJECT = re.compile(r"delay|warning: could not send|still being retried", re.I)
_INLINE_MESSAGE_ID = re.compile(r"(?im)^[ \t>]*message-id:[ \t]*(<[^<>\s]+>)")

log = logging.getLogger(__name__)
# flufl.bounce logs a full traceback before re-raising when a detector chokes on odd input; that
# is routine for mail from strangers and handled here, so its logger is silenced once.
logging.getLogger("flufl.bounce").disabled = True


@dataclass(frozen=True)
class Bounce:
    """What a bounce refers to; ``delivered`` when it only reports successful delivery."""

    reason: str
    original_message_ids: tuple[str, ...] = ()
    failed_recipients: tuple[str, ...] = ()
    permanent: bool = False
    delivered: bool = False


def is_daemon(message: EmailMessage) -> bool:
    """The mail comes from a mail system's delivery agent (MAILER-DAEMON and its names)."""
    display, address = headers.sender(message)
    return_path = headers.addresses(message, "Return-Path")
    locals_ = [address.split("@")[0]] + [a.split("@")[0] for _, a in return_path[:1]]
    if any(_normal_local(local) == "mailerdaemon" for local in locals_):
        return True
    # The whole From value (no address at all), read without parsing it as addresses.
    raw_from = headers.raw_text(message, "From").strip().strip('"').strip()
    return bool(_DAEMON_NAMES.match(display.strip()) or _DAEMON_NAMES.match(raw_from))


def by_evidence(message: EmailMessage, facts: Facts) -> Bounce | None:
    """A postmaster-like or null sender with bounce content, or a bounce subject with proof.

    The caller rules out auto-reply and forwarded subjects first: those name no bounce.
    """
    subject = facts.subject
    address = headers.sender(message)[1]
    null_sender = NULL_SENDER.match(headers.header(message, "Return-Path")) is not None or (
        _EMPTY_ADDRESS.search(headers.raw_text(message, "From")) is not None and not address
    )
    postmaster = _normal_local(address.split("@")[0]) in _POSTMASTER_LOCALS
    bounce_subject = _BOUNCE_SUBJECT.search(subject) is not None
    if not (null_sender or postmaster or bounce_subject):
        return None
    failures = _flufl(message)
    temporary, permanent = failures
    found = bool(temporary or permanent)
    if (null_sender or postmaster) and (
        bounce_subject or found or facts.has_original or _BOUNCE_BODY.search(_text(message, facts))
    ):
        return describe(message, facts, "null-sender" if null_sender else "postmaster", failures)
    if bounce_subject and (found or facts.has_original):
        return describe(message, facts, "bounce-subject", failures)
    return None


def describe(
    message: EmailMessage,
    facts: Facts,
    reason: str,
    failures: tuple[frozenset[str], frozenset[str]] | None = None,
) -> Bounce:
    """A bounce with what it refers to: the returned mail's ids, who failed, and how badly.

    ``failures`` are flufl.bounce's findings when the caller already has them.
    """
    recipients: list[tuple[str, str, str]] = []  # (address, action, status)
    for content_type, part in facts.parts:
        if content_type == "message/delivery-status":
            recipients.extend(_dsn_recipients(part))
    if recipients:
        actions = {action for _, action, _ in recipients}
        if actions and actions <= _SUCCESS_ACTIONS:
            return Bounce(reason, delivered=True)
        failed = [a for a, act, st in recipients if act == "failed" or st.startswith("5")]
        permanent = bool(failed) or not any(
            act == "delayed" or st.startswith("4") for _, act, st in recipients
        )
        chosen = failed if failed else [a for a, act, _ in recipients if act != "delivered"]
    else:
        temporary, permanent_set = failures if failures is not None else _flufl(message)
        permanent = bool(permanent_set) or not (temporary or _DELAY_SUBJECT.search(facts.subject))
        chosen = sorted(permanent_set) if permanent_set else sorted(temporary)
    return Bounce(
        reason,
        original_message_ids=_original_ids(message, facts),
        failed_recipients=tuple(dict.fromkeys(a for a in chosen if a)),
        permanent=permanent,
    )


def _dsn_recipients(part: Message) -> list[tuple[str, str, str]]:
    """(address, action, status) of each per-recipient block of a message/delivery-status part."""
    found: list[tuple[str, str, str]] = []
    payload = part.get_payload()
    blocks = payload if isinstance(payload, list) else []
    for block in blocks:
        if not isinstance(block, Message):
            continue
        if not _block_value(block, "Final-Recipient") and block.get_payload():
            block = _decoded_block(block)  # some MTAs base64-encode the per-recipient fields
        recipient = _block_value(block, "Final-Recipient") or _block_value(
            block, "Original-Recipient"
        )
        if not recipient:
            continue
        address = recipient.split(";", 1)[-1].strip().strip("<>").strip().lower()
        action = (
            _block_value(block, "Action").split()[0].lower()
            if _block_value(block, "Action")
            else ""
        )
        status = _block_value(block, "Status").strip()
        found.append((address, action, status))
    return found


def _decoded_block(block: Message) -> Message:
    """A DSN block whose fields arrived base64-encoded (Postfix behind some relays does this)."""
    payload = block.get_payload()
    if not isinstance(payload, str) or not _BASE64_BLOCK.fullmatch(payload.strip()):
        return block
    try:
        raw = base64.b64decode("".join(payload.split()), validate=True)
    except (binascii.Error, ValueError):
        return block
    return headers.parse(raw)


def _block_value(block: Message, name: str) -> str:
    """A field of a DSN block, read without the header registry (these are not mail headers)."""
    for key, value in block.raw_items():
        if key.lower() == name.lower():
            return " ".join(str(value).split())
    return ""


def _original_ids(message: EmailMessage, facts: Facts) -> tuple[str, ...]:
    """Message-IDs of the returned mail: attached original, then reply headers, then the text."""
    ids: list[str] = []
    for content_type, part in facts.parts:
        if content_type == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, EmailMessage):
                found = headers.message_id(inner)
                if found:
                    ids.append(found)
        elif content_type in ("text/rfc822-headers", "message/rfc822-headers"):
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                found = headers.message_id(headers.parse(raw + b"\n\n"))
                if found:
                    ids.append(found)
    for name in ("In-Reply-To", "References"):
        for value in headers.all_headers(message, name):
            ids.extend(headers.message_ids(value))
    if not ids:
        ids.extend(_INLINE_MESSAGE_ID.findall(_text(message, facts, limit=64_000)))
    own = headers.message_id(message)
    return tuple(i for i in dict.fromkeys(ids) if i != own)


def _flufl(message: EmailMessage) -> tuple[frozenset[str], frozenset[str]]:
    """(temporary, permanent) failed recipients found by flufl.bounce's detectors, lower-cased."""
    try:
        temporary, permanent = all_failures(message)
    except Exception:  # third-party heuristics over arbitrary bytes: any error means "none found"
        log.debug("flufl.bounce failed on a message", exc_info=True)
        return frozenset(), frozenset()
    return _addresses(temporary), _addresses(permanent)


def _addresses(values: object) -> frozenset[str]:
    """Keep the values that look like mail addresses, decoded and lower-cased."""
    found: set[str] = set()
    for value in values if isinstance(values, (set, frozenset, list, tuple)) else ():
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        text = text.strip().strip("<>").lower()
        if re.fullmatch(r"[^@\s\"<>()]+@[a-z0-9.-]+\.[a-z0-9-]+", text):
            found.add(text)
    return frozenset(found)


def _text(message: Message, facts: Facts, limit: int = _BODY_SCAN_CHARS) -> str:
    """The first ``limit`` characters of the text/plain parts, decoded leniently."""
    chunks: list[str] = []
    size = 0
    for content_type, part in facts.parts:
        broken_multipart = content_type.startswith("multipart/") and not part.is_multipart()
        if content_type != "text/plain" and not broken_multipart:  # no boundary: read as text
            continue
        chunk = _decode(part, limit - size)
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return "\n".join(chunks)


def _decode(part: Message, limit: int) -> str:
    """At most ``limit`` characters of a part's text; unknown charsets fall back to UTF-8."""
    try:
        raw = part.get_payload(decode=True)
    except Exception:  # malformed transfer encodings raise from deep inside email
        return ""
    if not isinstance(raw, bytes):
        return ""
    raw = raw[: limit * 4]  # no charset needs more than four bytes per character
    try:
        return raw.decode(part.get_content_charset() or "utf-8", "replace")[:limit]
    except (LookupError, ValueError):
        return raw.decode("utf-8", "replace")[:limit]


def _normal_local(local: str) -> str:
    """A local part without case, dots, dashes and underscores: ``Mailer_Daemon`` → mailerdaemon."""
    return re.sub(r"[-_.\s]", "", local.lower())
