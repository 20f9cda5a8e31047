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
6b. **automated**, unless the sender is a member — a program's mail that says so without
   RFC 3834 headers: an "[AUTO GENERATED]"-style subject, a sender no person reads (noreply,
   do-not-reply, notifications, mailer, bounce), an issue tracker's, CI's or cron's headers or
   subject.
7. **acknowledgement** — In-Reply-To or References names one of ``report_message_ids``.
8. **other** — calendar invitations (a ``text/calendar`` part with a ``method``) and
   ``message/partial`` fragments, which cannot be read as a contribution.
9. everything else is a **contribution**.

The bounce checks themselves (steps 2 and 4, and what a bounce refers to) live in
`mailflow.reading.bounces`. This module only decides the kind. It does not decode bodies for
reading (`mailflow.reading.mime`),
does not parse contributions (`mailflow.reading.contribution`) and does not change the ledger or the
outbox (`mailflow.pipeline` marks the bounced outbox mail or the acknowledged report).
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from email.message import EmailMessage

from mailflow.reading import bounces, headers
from mailflow.reading.parts import ARCHIVE_TYPES, Facts, param
from mailflow.states import MessageKind

__all__ = ["Classification", "classify"]


@dataclass(frozen=True)
class Classification:
    """The verdict on one message, with what a bounce or acknowledgement refers to."""

    kind: MessageKind
    reason: str
    original_message_ids: tuple[str, ...] = ()
    failed_recipients: tuple[str, ...] = ()
    permanent: bool = False


_FORWARD_PREFIX = re.compile(r"^\s*(fwd?|tr|wg|rv|enc|i)\s*:", re.I)

# Out-of-office and automatic-reply subjects in mailflow's seven languages and in German, Italian,
# Dutch and Portuguese, at the start of the subject (after a "[tag]").
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(\[[^\]]*\]\s*)?("
    r"auto(matic|matisch(e)?)?[ -]?(reply|response|respon[sd]|antwort|antwoord)"
    r"|out of (the )?office|away from (the )?office|abwesenheitsnotiz|abwesend"
    r"|nicht im büro|außer haus|ausser haus"
    r"|réponse automatique|absence du bureau|absent(e)? du bureau|message d'absence"
    r"|respuesta automática|fuera de la oficina|ausente de la oficina|fuera de oficina"
    r"|resposta automática|fora do escritório|ausente do escritório|ausência temporária"
    r"|risposta automatica|fuori sede|fuori ufficio|fuori dall'ufficio|assente dall'ufficio"
    r"|automatisch antwoord|afwezig|niet aanwezig|buiten kantoor"
    r"|trả lời tự động|thư trả lời tự động|vắng mặt|không có mặt tại văn phòng"
    r"|自动回复|自動回覆|自动答复|自動応答|不在办公室|外出|休假"
    r"|автоматический ответ|автоответ|вне офиса|нет на месте|отсутствую|в отпуске"
    r"|رد تلقائي|الرد التلقائي|رد آلي|خارج المكتب"
    r")",
    re.I,
)
# "[AUTO GENERATED]", "[Automated message]", "(automatic notification)": mail that says it was
# written by a program.
_GENERATED_SUBJECT = re.compile(
    r"^\s*[\[(]\s*(auto[- ]?generated|automated|automatic|auto)"
    r"(\s+(message|mail|e-?mail|notification|notice))?\s*[\])]",
    re.I,
)
# Local parts of addresses no person reads: noreply, do-not-reply, notifications, mailer, bounce.
_NO_PERSON_LOCALS = frozenset(
    {"noreply", "donotreply", "notifications", "notification", "mailer", "bounce", "bounces"}
)
# Headers of issue trackers, CI and cron: their mail is a notification, never a contribution.
_NOTIFIER_HEADERS = (
    "x-redmine-project",
    "x-github-reason",
    "x-gitlab-project",
    "x-jira-fingerprint",
    "x-bugzilla-product",
    "x-trac-project",
    "x-mantis-project",
    "x-phabricator-sent-this-message",
    "x-launchpad-notification-type",
    "x-jenkins-job",
    "x-cron-env",
)
_CRON_SUBJECT = re.compile(r"^\s*cron\s*<[^<>\s]+>", re.I)
# RFC 2369/2919 list headers, and ezmlm's older Mailing-List: list traffic is never a contribution.
_LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Post", "List-Subscribe", "Mailing-List")
_PRECEDENCE_AUTO = frozenset({"bulk", "junk", "list", "auto_reply"})
_READ_RECEIPT_SUBJECT = re.compile(r"^\s*(read|lu|leído|gelesen|letto|прочитано|已读)\s*:", re.I)
_DMARC_SUBJECT = re.compile(r"^\s*(\[[^\]]*\]\s*)?report[ -]?domain\s*:", re.I)
_RUA_FILENAME = re.compile(r"^[^!\s/]+![^!\s/]+!\d+!\d+(![^.\s]*)?\.(xml|json|zip|gz|xml\.gz)$")


def classify(
    message: EmailMessage,
    *,
    report_message_ids: Container[str] = frozenset(),
    own_addresses: Container[str] = frozenset(),
    member_addresses: Container[str] = frozenset(),
) -> Classification:
    """Decide what ``message`` is; the module docstring lists the checks in their order.

    ``report_message_ids`` holds Message-IDs with their angle brackets; ``own_addresses`` and
    ``member_addresses`` hold lower-case addresses. A member's own address is never taken for a
    program's by its name or by what the mail says of itself (step 6b).
    """
    facts = Facts.of(message)
    report = _by_report(message, facts)
    if report is not None:
        return report
    if bounces.is_daemon(message):
        return _bounce(bounces.describe(message, facts, "mailer-daemon"))
    from_address = headers.sender(message)[1]
    if from_address and from_address in own_addresses:
        return Classification(MessageKind.OTHER, "own-address")
    if not (_AUTO_REPLY_SUBJECT.search(facts.subject) or _FORWARD_PREFIX.match(facts.subject)):
        evidence = bounces.by_evidence(message, facts)
        if evidence is not None:
            return _bounce(evidence)
    automated = _automated(message, facts)
    if automated is not None:
        return automated
    auto_reply = _auto_reply(message, facts)
    if auto_reply is not None:
        return Classification(MessageKind.AUTO_REPLY, auto_reply)
    if from_address not in member_addresses:
        notification = _notification(message, facts, from_address)
        if notification is not None:
            return notification
    replied_to = headers.message_ids(
        " ".join(
            headers.all_headers(message, "In-Reply-To") + headers.all_headers(message, "References")
        )
    )
    matched = tuple(dict.fromkeys(i for i in replied_to if i in report_message_ids))
    if matched:
        return Classification(
            MessageKind.ACKNOWLEDGEMENT, "reply-to-report", original_message_ids=matched
        )
    if facts.calendar:
        return Classification(MessageKind.OTHER, "calendar")
    if facts.content_type == "message/partial":
        return Classification(MessageKind.OTHER, "message-partial")
    return Classification(MessageKind.CONTRIBUTION, "default")


def _bounce(found: bounces.Bounce) -> Classification:
    """A bounce's classification (a DSN that reports only deliveries is automated)."""
    if found.delivered:
        return Classification(MessageKind.AUTOMATED, "dsn-success")
    return Classification(
        MessageKind.BOUNCE,
        found.reason,
        original_message_ids=found.original_message_ids,
        failed_recipients=found.failed_recipients,
        permanent=found.permanent,
    )


def _by_report(message: EmailMessage, facts: Facts) -> Classification | None:
    """Step 1: a ``multipart/report`` decides by its report-type (RFC 6522)."""
    if facts.content_type == "message/delivery-status":
        return _bounce(bounces.describe(message, facts, "dsn"))
    if facts.content_type != "multipart/report":
        return None
    report_type = (param(message, "report-type") or "").lower()
    if report_type == "delivery-status" or (
        not report_type and any(t == "message/delivery-status" for t, _ in facts.parts)
    ):
        return _bounce(bounces.describe(message, facts, "dsn"))
    if report_type == "feedback-report":
        return Classification(MessageKind.AUTOMATED, "arf")
    if report_type == "tlsrpt":
        return Classification(MessageKind.AUTOMATED, "tlsrpt")
    if report_type == "disposition-notification":
        return Classification(MessageKind.AUTOMATED, "mdn")
    return None


def _automated(message: EmailMessage, facts: Facts) -> Classification | None:
    """Step 5: machine-generated reports that are not reports in the RFC 6522 sense."""
    if any(
        t == "application/tlsrpt+gzip" or t == "application/tlsrpt+json" for t, _ in facts.parts
    ):
        return Classification(MessageKind.AUTOMATED, "tlsrpt")
    if any(_RUA_FILENAME.match(name) for name in facts.archive_names):
        return Classification(MessageKind.AUTOMATED, "dmarc")
    if _DMARC_SUBJECT.match(facts.subject) and any(t in ARCHIVE_TYPES for t, _ in facts.parts):
        return Classification(MessageKind.AUTOMATED, "dmarc")
    if _READ_RECEIPT_SUBJECT.match(facts.subject) and (
        facts.content_type == "application/ms-tnef"
        or any(t == "message/disposition-notification" for t, _ in facts.parts)
    ):
        return Classification(MessageKind.AUTOMATED, "read-receipt")
    return None


def _notification(message: EmailMessage, facts: Facts, from_address: str) -> Classification | None:
    """Step 6b: a program's mail that sets no RFC 3834 header but says what it is."""
    if _GENERATED_SUBJECT.match(facts.subject):
        return Classification(MessageKind.AUTOMATED, "subject")
    local = re.sub(r"[-_.]", "", from_address.split("@")[0])
    if from_address and (local in _NO_PERSON_LOCALS or local.startswith("noreply")):
        return Classification(MessageKind.AUTOMATED, "sender")
    present = {key.lower() for key in message}
    notifier = next((name for name in _NOTIFIER_HEADERS if name in present), None)
    if notifier is not None:
        return Classification(MessageKind.AUTOMATED, "header:" + notifier)
    if _CRON_SUBJECT.match(facts.subject):
        return Classification(MessageKind.AUTOMATED, "cron")
    return None


def _auto_reply(message: EmailMessage, facts: Facts) -> str | None:
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
    if bounces.NULL_SENDER.match(headers.header(message, "Return-Path")):
        return "null-return-path"
    if _AUTO_REPLY_SUBJECT.search(facts.subject):
        return "subject"
    if headers.header(message, "X-Auto-Response-Suppress") and (
        headers.header(message, "X-MS-Exchange-Inbox-Rules-Loop")
        or headers.header(message, "X-MS-Exchange-Generated-Message-Source")
    ):
        return "header:x-auto-response-suppress"
    return None
