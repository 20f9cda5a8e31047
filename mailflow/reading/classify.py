"""What an inbound message is: a contribution, or one of the kinds of mail that is never answered.

`classify` is a pure function of a parsed message (from `mailflow.reading.headers.parse`) and two
sets the caller knows: the Message-IDs of reports mailflow sent, and mailflow's own addresses. It
never raises on mail from strangers. The checks run in this order, and the first that matches wins:

1. **report** — ``multipart/report`` (or a bare ``message/delivery-status``): ``delivery-status``
   is a bounce (a DSN whose every action is ``delivered``/``relayed``/``expanded`` is a success
   notice, so `automated`); ``feedback-report`` (ARF), ``tlsrpt`` and
   ``disposition-notification`` (read receipts) are `automated`. Reports come first because a
   DSN or MDN usually also carries ``Auto-Submitted`` and a null Return-Path.
2. **bounce by sender** — From or Return-Path is MAILER-DAEMON or the sender calls itself
   "Mail Delivery Subsystem/System".
3. **own address** — From is one of ``own_addresses``: mailflow's own mail looping back, `other`.
4. **bounce by evidence** — a postmaster-like or null sender (``<>``) together with bounce-like
   content (a bounce subject in several languages, failed recipients found by `flufl.bounce`, the
   returned original attached, or delivery-failure phrases in the text); or a bounce subject
   together with failed recipients or an attached original. `flufl.bounce` alone is not enough:
   its heuristics "find" recipients in uuencoded attachments of ordinary mail.
5. **automated** — DMARC aggregate reports (``Report Domain:`` subjects or ``a!b!start!end``
   attachments), TLS-RPT attachments, Outlook read receipts ("Read:" with a TNEF body).
6. **auto-reply** — RFC 3834 ``Auto-Submitted`` other than ``no``, ``X-Autoreply``,
   ``X-Autorespond``, ``Precedence: bulk|junk|list|auto_reply``, ``List-Id``,
   ``List-Unsubscribe``, a null Return-Path (RFC 3834 §3.3: responders send with a null
   envelope sender; people never do), and auto-reply subjects in many languages.
   ``X-Auto-Response-Suppress`` counts only together with an Exchange loop/generated-message
   header: Outlook and many ticket systems set it on ordinary person-to-person mail to *ask* for
   no auto-replies, so alone it says nothing about the message itself. In the reference corpus
   every message carrying it is classified by another, stronger sign anyway.
7. **acknowledgement** — In-Reply-To or References names one of ``report_message_ids``.
8. **other** — calendar invitations (a ``text/calendar`` part with a ``method``) and
   ``message/partial`` fragments, which cannot be read as a contribution.
9. everything else is a **contribution**.

This module only decides the kind. It does not decode bodies for reading (`mailflow.reading.mime`),
does not parse contributions (`mailflow.reading.contribution`) and does not change the ledger or the
outbox (`mailflow.pipeline` marks the bounced outbox mail or the acknowledged report).
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import unicodedata
from collections.abc import Container, Iterator
from dataclasses import dataclass
from email.message import EmailMessage, Message
from enum import StrEnum
from functools import cached_property

from flufl.bounce import all_failures

from mailflow.reading import headers

__all__ = ["Classification", "Kind", "classify"]


class Kind(StrEnum):
    """The kinds of inbound mail mailflow tells apart."""

    CONTRIBUTION = "contribution"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    AUTOMATED = "automated"
    ACKNOWLEDGEMENT = "acknowledgement"
    OTHER = "other"


@dataclass(frozen=True)
class Classification:
    """The verdict on one message, with what a bounce or acknowledgement refers to."""

    kind: Kind
    reason: str
    original_message_ids: tuple[str, ...] = ()
    failed_recipients: tuple[str, ...] = ()
    permanent: bool = False


# Bounds for walking a message: pathological nesting must not cost more than this.
_MAX_PARTS = 400
_MAX_DEPTH = 24
_BODY_SCAN_CHARS = 8000

_SUCCESS_ACTIONS = frozenset({"delivered", "relayed", "expanded"})
_NULL_SENDER = re.compile(r"^\s*<\s*>\s*$")
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
_FORWARD_PREFIX = re.compile(r"^\s*(fwd?|tr|wg|rv|enc|i)\s*:", re.I)
_INLINE_MESSAGE_ID = re.compile(r"(?im)^[ \t>]*message-id:[ \t]*(<[^<>\s]+>)")

_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(\[[^\]]*\]\s*)?("
    r"auto(matic|matisch(e)?)?[ -]?(reply|response|respon[sd]|antwort|antwoord)"
    r"|out of (the )?office|away from (the )?office|abwesenheitsnotiz|abwesend"
    r"|réponse automatique|absence du bureau|respuesta automática|fuera de la oficina"
    r"|resposta automática|risposta automatica|trả lời tự động|自动回复|自動回覆|自动答复"
    r"|自動応答|автоматический ответ|автоответ|رد تلقائي|الرد التلقائي"
    r")",
    re.I,
)
# RFC 2369/2919 list headers, and ezmlm's older Mailing-List: list traffic is never a contribution.
_LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Post", "List-Subscribe", "Mailing-List")
_PRECEDENCE_AUTO = frozenset({"bulk", "junk", "list", "auto_reply"})
_READ_RECEIPT_SUBJECT = re.compile(r"^\s*(read|lu|leído|gelesen|letto|прочитано|已读)\s*:", re.I)
_DMARC_SUBJECT = re.compile(r"^\s*(\[[^\]]*\]\s*)?report[ -]?domain\s*:", re.I)
_RUA_FILENAME = re.compile(r"^[^!\s/]+![^!\s/]+!\d+!\d+(![^.\s]*)?\.(xml|json|zip|gz|xml\.gz)$")
_ARCHIVE_TYPES = frozenset(
    {"application/zip", "application/gzip", "application/x-gzip", "application/x-zip-compressed"}
)

log = logging.getLogger(__name__)
# flufl.bounce logs a full traceback before re-raising when a detector chokes on odd input; that
# is routine for mail from strangers and handled here, so its logger is silenced once.
logging.getLogger("flufl.bounce").disabled = True


def classify(
    message: EmailMessage,
    *,
    report_message_ids: Container[str] = frozenset(),
    own_addresses: Container[str] = frozenset(),
) -> Classification:
    """Decide what ``message`` is; the module docstring lists the checks in their order.

    ``report_message_ids`` holds Message-IDs with their angle brackets; ``own_addresses`` holds
    lower-case addresses.
    """
    facts = _Facts.of(message)
    report = _by_report(message, facts)
    if report is not None:
        return report
    if _is_daemon(message):
        return _bounce(message, facts, "mailer-daemon")
    from_address = headers.sender(message)[1]
    if from_address and from_address in own_addresses:
        return Classification(Kind.OTHER, "own-address")
    evidence = _bounce_evidence(message, facts)
    if evidence is not None:
        return evidence
    automated = _automated(message, facts)
    if automated is not None:
        return automated
    auto_reply = _auto_reply(message, facts)
    if auto_reply is not None:
        return Classification(Kind.AUTO_REPLY, auto_reply)
    replied_to = headers.message_ids(
        " ".join(
            headers.all_headers(message, "In-Reply-To") + headers.all_headers(message, "References")
        )
    )
    matched = tuple(dict.fromkeys(i for i in replied_to if i in report_message_ids))
    if matched:
        return Classification(Kind.ACKNOWLEDGEMENT, "reply-to-report", original_message_ids=matched)
    if facts.calendar:
        return Classification(Kind.OTHER, "calendar")
    if facts.content_type == "message/partial":
        return Classification(Kind.OTHER, "message-partial")
    return Classification(Kind.CONTRIBUTION, "default")


@dataclass(frozen=True)
class _Facts:
    """What the walk over a message's parts found; gathered once, read by every check."""

    message: EmailMessage
    content_type: str
    subject: str
    parts: tuple[tuple[str, Message], ...]  # (content type, part): the root, then its parts
    has_original: bool  # a message/rfc822 or text/rfc822-headers part
    calendar: bool
    archive_names: tuple[str, ...]

    @classmethod
    def of(cls, message: EmailMessage) -> _Facts:
        parts = ((_content_type(message), message), *_walk(message))
        names = tuple(
            _filename(p) for t, p in parts if t in _ARCHIVE_TYPES or t.startswith("application/")
        )
        return cls(
            message=message,
            content_type=_content_type(message),
            subject=unicodedata.normalize("NFC", headers.header(message, "Subject")),
            parts=parts,
            has_original=any(
                t in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers")
                for t, _ in parts
            ),
            calendar=any(t == "text/calendar" and _param(p, "method") for t, p in parts),
            archive_names=names,
        )

    @cached_property
    def failures(self) -> tuple[frozenset[str], frozenset[str]]:
        """(temporary, permanent) failed recipients found by flufl.bounce, computed once."""
        return _flufl(self.message)


def _by_report(message: EmailMessage, facts: _Facts) -> Classification | None:
    """Step 1: a ``multipart/report`` decides by its report-type (RFC 6522)."""
    if facts.content_type == "message/delivery-status":
        return _bounce(message, facts, "dsn")
    if facts.content_type != "multipart/report":
        return None
    report_type = (_param(message, "report-type") or "").lower()
    if report_type == "delivery-status" or (
        not report_type and any(t == "message/delivery-status" for t, _ in facts.parts)
    ):
        return _bounce(message, facts, "dsn")
    if report_type == "feedback-report":
        return Classification(Kind.AUTOMATED, "arf")
    if report_type == "tlsrpt":
        return Classification(Kind.AUTOMATED, "tlsrpt")
    if report_type == "disposition-notification":
        return Classification(Kind.AUTOMATED, "mdn")
    return None


def _is_daemon(message: EmailMessage) -> bool:
    """Step 2: the mail comes from a mail system's delivery agent."""
    display, address = headers.sender(message)
    return_path = headers.addresses(message, "Return-Path")
    locals_ = [address.split("@")[0]] + [a.split("@")[0] for _, a in return_path[:1]]
    if any(_normal_local(local) == "mailerdaemon" for local in locals_):
        return True
    # The whole From value (no address at all), read without parsing it as addresses.
    raw_from = headers.raw_text(message, "From").strip().strip('"').strip()
    return bool(_DAEMON_NAMES.match(display.strip()) or _DAEMON_NAMES.match(raw_from))


def _bounce_evidence(message: EmailMessage, facts: _Facts) -> Classification | None:
    """Step 4: a postmaster-like or null sender with bounce content, or a bounce subject + proof."""
    subject = facts.subject
    if _AUTO_REPLY_SUBJECT.search(subject) or _FORWARD_PREFIX.match(subject):
        return None
    address = headers.sender(message)[1]
    null_sender = _NULL_SENDER.match(headers.header(message, "Return-Path")) is not None or (
        _EMPTY_ADDRESS.search(headers.raw_text(message, "From")) is not None and not address
    )
    postmaster = _normal_local(address.split("@")[0]) in _POSTMASTER_LOCALS
    bounce_subject = _BOUNCE_SUBJECT.search(subject) is not None
    if not (null_sender or postmaster or bounce_subject):
        return None
    temporary, permanent = facts.failures
    found = bool(temporary or permanent)
    if (null_sender or postmaster) and (
        bounce_subject or found or facts.has_original or _BOUNCE_BODY.search(_text(message, facts))
    ):
        return _bounce(message, facts, "null-sender" if null_sender else "postmaster")
    if bounce_subject and (found or facts.has_original):
        return _bounce(message, facts, "bounce-subject")
    return None


def _automated(message: EmailMessage, facts: _Facts) -> Classification | None:
    """Step 5: machine-generated reports that are not reports in the RFC 6522 sense."""
    if any(
        t == "application/tlsrpt+gzip" or t == "application/tlsrpt+json" for t, _ in facts.parts
    ):
        return Classification(Kind.AUTOMATED, "tlsrpt")
    if any(_RUA_FILENAME.match(name) for name in facts.archive_names):
        return Classification(Kind.AUTOMATED, "dmarc")
    if _DMARC_SUBJECT.match(facts.subject) and any(t in _ARCHIVE_TYPES for t, _ in facts.parts):
        return Classification(Kind.AUTOMATED, "dmarc")
    if _READ_RECEIPT_SUBJECT.match(facts.subject) and (
        facts.content_type == "application/ms-tnef"
        or any(t == "message/disposition-notification" for t, _ in facts.parts)
    ):
        return Classification(Kind.AUTOMATED, "read-receipt")
    return None


def _auto_reply(message: EmailMessage, facts: _Facts) -> str | None:
    """Step 6: the reason this is an auto-reply (or list/bulk mail), or None."""
    auto_submitted = headers.header(message, "Auto-Submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "header:auto-submitted"
    for name in ("X-Autoreply", "X-Autorespond"):
        value = headers.header(message, name).strip().lower()
        if value and value not in ("no", "false", "0"):
            return "header:" + name.lower()
    if headers.header(message, "Precedence").strip().lower() in _PRECEDENCE_AUTO:
        return "header:precedence"
    for name in _LIST_HEADERS:
        if headers.header(message, name):
            return "header:" + name.lower()
    if _NULL_SENDER.match(headers.header(message, "Return-Path")):
        return "null-return-path"
    if _AUTO_REPLY_SUBJECT.search(facts.subject):
        return "subject"
    if headers.header(message, "X-Auto-Response-Suppress") and (
        headers.header(message, "X-MS-Exchange-Inbox-Rules-Loop")
        or headers.header(message, "X-MS-Exchange-Generated-Message-Source")
    ):
        return "header:x-auto-response-suppress"
    return None


def _bounce(message: EmailMessage, facts: _Facts, reason: str) -> Classification:
    """A bounce with what it refers to: the returned mail's ids, who failed, and how badly."""
    recipients: list[tuple[str, str, str]] = []  # (address, action, status)
    for content_type, part in facts.parts:
        if content_type == "message/delivery-status":
            recipients.extend(_dsn_recipients(part))
    if recipients:
        actions = {action for _, action, _ in recipients}
        if actions and actions <= _SUCCESS_ACTIONS:
            return Classification(Kind.AUTOMATED, "dsn-success")
        failed = [a for a, act, st in recipients if act == "failed" or st.startswith("5")]
        permanent = bool(failed) or not any(
            act == "delayed" or st.startswith("4") for _, act, st in recipients
        )
        chosen = failed if failed else [a for a, act, _ in recipients if act != "delivered"]
    else:
        temporary, permanent_set = facts.failures
        permanent = bool(permanent_set) or not (temporary or _DELAY_SUBJECT.search(facts.subject))
        chosen = sorted(permanent_set) if permanent_set else sorted(temporary)
    return Classification(
        Kind.BOUNCE,
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


def _original_ids(message: EmailMessage, facts: _Facts) -> tuple[str, ...]:
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


def _walk(message: Message) -> Iterator[tuple[str, Message]]:
    """Every part below the root (bounded), without entering attached or enclosed messages."""
    stack: list[tuple[Message, int]] = [(message, 0)]
    seen = 0
    while stack and seen < _MAX_PARTS:
        part, depth = stack.pop()
        if depth >= _MAX_DEPTH:
            continue
        payload = part.get_payload()
        if not isinstance(payload, list):
            continue
        if _content_type(part).startswith("message/"):
            continue
        children = [child for child in payload if isinstance(child, Message)]
        for child in children:
            seen += 1
            yield _content_type(child), child
        stack.extend((child, depth + 1) for child in reversed(children))


def _text(message: Message, facts: _Facts, limit: int = _BODY_SCAN_CHARS) -> str:
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


def _content_type(part: Message) -> str:
    """The lower-case content type, "text/plain" when the header is broken (RFC 2045 default)."""
    try:
        return part.get_content_type()
    except Exception:  # policy.default parses the header lazily and may raise on garbage
        return "text/plain"


def _param(part: Message, name: str) -> str | None:
    """A Content-Type parameter as a string, or None."""
    try:
        value = part.get_param(name)
    except Exception:
        return None
    if isinstance(value, tuple):
        value = value[2]
    return str(value) if value else None


def _filename(part: Message) -> str:
    """The attachment's file name, or ""."""
    try:
        return part.get_filename() or ""
    except Exception:
        return ""


def _normal_local(local: str) -> str:
    """A local part without case, dots, dashes and underscores: ``Mailer_Daemon`` → mailerdaemon."""
    return re.sub(r"[-_.\s]", "", local.lower())
