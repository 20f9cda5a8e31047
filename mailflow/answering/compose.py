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

import email.utils
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from email.header import Header
from typing import Any

from babel.dates import format_date, format_timedelta

from mailflow.answering import wire
from mailflow.answering.explain import action_line_name, explain_issue
from mailflow.answering.i18n import (
    SECTIONS,
    SUPPORTED_LANGUAGES,
    Number,
    days_until,
    format_when,
    pick_language,
    render,
    section_label,
    translations,
)
from mailflow.answering.model import CampaignInfo, Confirmation, IssueNote, Outgoing
from mailflow.answering.wire import Raw, make_message_id
from mailflow.errors import StateError
from mailflow.reading import wsis
from mailflow.reading.headers import message_ids
from mailflow.states import CONFIRMED_STATUSES
from mailflow.untrusted import clean, shown_name

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
#: At most this many References ids are kept (the first and the most recent ones).
MAX_REFERENCES = 20

_REPLY_PREFIX = re.compile(
    r"^(?:\s*(?:re|aw|sv|vs|antw|odp|ynt|rif|res|ответ|回复|回覆|答复|رد)\s*(?:\[\d+\]|\(\d+\))?"
    r"\s*[:：]\s*)+",
    re.IGNORECASE,
)
_SAFE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>")
_WEB_LINK = re.compile(r"https?://\S+", re.IGNORECASE)


def reply_subject(original: str, fallback: str) -> str:
    """``Re: <original>`` without piling up prefixes; ``Re: <fallback>`` for an empty subject."""
    subject = _REPLY_PREFIX.sub("", clean(original)).strip()
    return f"Re: {subject or clean(fallback)}"


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
        "name": shown_name(conf.to_name),
        "association": campaign.association,
        "campaign": campaign.name,
        "subject": clean(conf.original_subject),
        "received": format_when(conf.received_at, zone, language),
        "attachments": [clean(name) for name in conf.attachments_read if clean(name)],
        "status": conf.status,
        "to_fix": [text for note, text in issues if note.severity != "warning"],
        "suggestions": [text for note, text in issues if note.severity == "warning"],
        "action_lines": [
            (clean(code, 8), action_line_name(code, language)) for code in conf.action_lines
        ],
        "links": [link for link in (clean(link, 2000) for link in conf.links) if _is_web(link)],
        "word_count": Number(conf.word_count, language),
        "word_limit": Number(campaign.word_limit, language),
        "version": Number(conf.version, language),
        # Nothing was found to confirm: the short variant asks for the text instead.
        "empty": [note.code for note in conf.issues] == ["empty"],
        "deadline": format_when(campaign.deadline, zone, language),
        # After the report went, a correction reaches IFLA only if the coordinator sends it.
        "report_sent": (
            format_date(campaign.report_sent_at.astimezone(zone), "long", locale=language)
            if campaign.report_sent_at is not None
            else ""
        ),
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
        (code, action_line_name(code, language)) for code in ACTION_LINE_CODES
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
    zone = campaign.deadline.tzinfo
    context = _campaign_context(to_name, language, campaign)
    context["time_left"] = _time_left(left, language, days_until(campaign.deadline, now, zone))
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
        "name": shown_name(to_name),
        "association": campaign.association,
        "campaign": campaign.name,
        "word_limit": Number(campaign.word_limit, language),
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
    recipient = wire.recipient(to_address, clean(to_name))
    message_id = make_message_id(campaign.from_address)
    # A random boundary cannot occur in the parts, so they need not be searched for it.
    boundary = f"=_mailflow_{secrets.token_hex(16)}"
    fields: list[tuple[str, str | Header]] = [
        ("From", wire.config_header(campaign.from_address, "From", "smtp.from")),
        ("To", wire.address_header(recipient)),
        ("Reply-To", wire.config_header(campaign.reply_to, "Reply-To", None)),
        (
            "Subject",
            subject if subject.isascii() else Raw(wire.encoded_words(subject, wire.SUBJECT_ROOM)),
        ),
        ("Date", Raw(email.utils.format_datetime(now))),
        ("Message-ID", Raw(message_id)),
    ]
    if thread is not None:
        fields.append(("In-Reply-To", Raw(thread[0])))
        fields.append(("References", Raw("\r\n ".join(thread[1]))))  # one id per folded line
    fields += [
        ("Auto-Submitted", Raw(auto_submitted)),
        # Asks Exchange/Outlook not to answer an automatic mail with out-of-office replies.
        ("X-Auto-Response-Suppress", Raw("All")),
        ("MIME-Version", Raw("1.0")),
        ("Content-Type", Raw(f'multipart/alternative; boundary="{boundary}"')),
        ("Content-Language", Raw(language)),
    ]
    parts = [
        wire.text_part(render(f"mail/{template}.txt", language, context), "plain"),
        wire.text_part(render(f"mail/{template}.html", language, context), "html"),
    ]
    head = "".join(wire.header_line(name, value) for name, value in fields).encode("ascii")
    delimiter = b"--" + boundary.encode("ascii")
    body = b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in parts)
    return Outgoing(
        message_id=message_id,
        to_address=recipient.addr_spec,
        subject=subject,
        data=head + b"\r\n" + body + delimiter + b"--\r\n",
    )


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


def _time_left(left: timedelta, language: str, calendar_days: int) -> str:
    """Days left as a reader counts them on a calendar ("in 2 days" on the 28th for a deadline on
    the 30th), else whole hours, else minutes when the deadline is today."""
    # A huge threshold keeps Babel from switching to larger units ("3 weeks").
    if calendar_days >= 1:
        days = timedelta(days=calendar_days)
        return format_timedelta(days, granularity="day", threshold=1e9, locale=language)
    if left >= timedelta(hours=1):
        hours = timedelta(hours=left.seconds // 3600)
        return format_timedelta(hours, granularity="hour", threshold=1e9, locale=language)
    minutes = timedelta(minutes=max(1, left.seconds // 60))
    return format_timedelta(minutes, granularity="minute", threshold=1e9, locale=language)


def _is_web(link: str) -> bool:
    return _WEB_LINK.fullmatch(link) is not None
