"""Read-only views of the ledger for the CLI: the campaign status and the submission list.

Each function takes a session and returns plain data in the JSON shapes of design.md §7 (keys may
be added, never renamed). Nothing here writes; the text rendering of these views is in `cli`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailflow.config import Settings
from mailflow.ledger.models import (
    Campaign,
    InboundMessage,
    MemberAddress,
    OutboxMail,
    Report,
    ServiceEvent,
    Submission,
)
from mailflow.reading import headers
from mailflow.reading.validate import authserv_id
from mailflow.states import MessageKind, OutboxState, SubmissionStatus

SUBMISSION_STATUSES = tuple(status.value for status in SubmissionStatus)
#: The kinds `status` counts by name, in the order it shows them; the rest count as "other".
MESSAGE_KINDS = tuple(
    kind.value
    for kind in (
        MessageKind.CONTRIBUTION,
        MessageKind.MEMBER_NOTE,
        MessageKind.AUTO_REPLY,
        MessageKind.BOUNCE,
        MessageKind.AUTOMATED,
        MessageKind.ACKNOWLEDGEMENT,
    )
)
#: How many of the latest member notes `status` lists.
NOTES_SHOWN = 10


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def find_campaign(session: Session, settings: Settings) -> Campaign | None:
    """The configured campaign's row, or None before anything was recorded for it."""
    return session.scalars(select(Campaign).where(Campaign.name == settings.campaign.name)).first()


#: Recorded messages searched for the Authentication-Results header of the association's server.
AUTHSERV_SEARCHED = 50


def first_authserv_id(session: Session) -> str | None:
    """The authserv-id in the topmost Authentication-Results header of the first recorded mail
    that has one: the association's own server wrote it when the mail arrived."""
    for raw in session.scalars(
        select(InboundMessage.raw).order_by(InboundMessage.id).limit(AUTHSERV_SEARCHED)
    ):
        found = headers.all_headers(headers.parse(raw), "Authentication-Results")
        if found and authserv_id(found[0]):
            return authserv_id(found[0])
    return None


def status_warnings(settings: Settings) -> list[str]:
    """What the coordinator should fix in the configuration, as `status` says it."""
    if settings.security.trusted_authserv_ids:
        return []
    return [
        "no trusted authserv-id is set (security.trusted_authserv_ids), so a member address "
        "forged by a stranger is not recognised; run `mailflow init` after the first poll to "
        "detect the one your mail server stamps, or set it in mailflow.toml"
    ]


def status(session: Session, settings: Settings, *, now: datetime | None = None) -> dict[str, Any]:
    """The campaign at a glance (`mailflow status --json`)."""
    now = now or datetime.now(UTC)
    c = settings.campaign
    campaign = find_campaign(session, settings)

    kinds = dict(
        session.execute(
            select(InboundMessage.kind, func.count()).group_by(InboundMessage.kind)
        ).all()
    )
    total = sum(kinds.values())
    messages: dict[str, int] = {"total": total}
    for kind in MESSAGE_KINDS:
        messages[kind] = kinds.get(kind, 0)
    messages["other"] = total - sum(messages[k] for k in MESSAGE_KINDS)
    messages["unprocessed"] = kinds.get(MessageKind.UNKNOWN.value, 0)
    messages["failed"] = (
        session.scalar(select(func.count()).where(InboundMessage.state == "failed")) or 0
    )

    submission_counts: dict[str, int] = dict.fromkeys(SUBMISSION_STATUSES, 0)
    if campaign is not None:
        for state, count in session.execute(
            select(Submission.status, func.count())
            .where(Submission.campaign_id == campaign.id)
            .group_by(Submission.status)
        ):
            submission_counts[state] = count

    outbox: dict[str, int] = {state.value: 0 for state in OutboxState}
    for state, count in session.execute(
        select(OutboxMail.state, func.count()).group_by(OutboxMail.state)
    ):
        outbox[state] = count
    last_failure = session.scalars(
        select(OutboxMail)
        .where(OutboxMail.state == "failed")
        .order_by(OutboxMail.updated_at.desc())
    ).first()

    report: dict[str, Any] = {
        "state": None,
        "message_id": None,
        "sent_at": None,
        "acknowledged_at": None,
    }
    if campaign is not None:
        row = session.scalars(
            select(Report).where(Report.campaign_id == campaign.id).order_by(Report.id.desc())
        ).first()
        if row is not None:
            report = {
                "state": row.state,
                "message_id": row.message_id,
                "sent_at": iso(row.sent_at),
                "acknowledged_at": iso(row.acknowledged_at),
            }

    notes = [
        {
            "from": row.sender,
            "at": iso(row.internal_date or row.recorded_at),
            "subject": row.subject,
        }
        for row in session.scalars(
            select(InboundMessage)
            .where(InboundMessage.kind == MessageKind.MEMBER_NOTE.value)
            .order_by(InboundMessage.id.desc())
            .limit(NOTES_SHOWN)
        )
    ]
    events = {e.name: e for e in session.scalars(select(ServiceEvent))}
    undeliverable = (
        session.scalar(select(func.count()).where(MemberAddress.undeliverable_at.is_not(None))) or 0
    )
    remaining = (c.deadline - now).total_seconds()
    return {
        "campaign": {
            "name": c.name,
            "association": c.association,
            "deadline": c.deadline.isoformat(),
            "recipient": c.recipient,
            "word_limit": c.word_limit,
            "late_policy": c.late,
            "seconds_to_deadline": int(remaining),
            "deadline_passed": remaining < 0,
        },
        "messages": messages,
        "submissions": submission_counts,
        "outbox": outbox,
        "outbox_last_failure": (
            {
                "message_id": last_failure.message_id,
                "recipient": last_failure.recipient,
                "error": last_failure.last_error,
                "smtp_code": last_failure.smtp_code,
            }
            if last_failure
            else None
        ),
        "report": report,
        "warnings": status_warnings(settings),
        "member_notes": notes,  # the latest first: replies such as "Thanks!", never answered
        "members": {"undeliverable_addresses": undeliverable},
        "service": {
            "last_poll": iso(events["last_poll"].at) if "last_poll" in events else None,
            "last_poll_summary": events["last_poll"].detail if "last_poll" in events else None,
            "last_error": events["last_error"].detail if "last_error" in events else None,
            "last_error_at": iso(events["last_error"].at) if "last_error" in events else None,
        },
    }
