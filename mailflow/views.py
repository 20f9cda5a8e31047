"""Read-only views of the ledger for the CLI and the web console: the campaign status.

Each function takes a session and returns plain data in the JSON shapes of design.md §7 (keys may
be added, never renamed). `status` is also the coordinator's to-do list (``todo``): held
submissions with the command that decides them, members who have not answered, member notes,
mail stuck or failed with its reason, contributions changed since the report was sent. Nothing
here writes; the text rendering of these views is in `mailflow.cli`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from mailflow.answering.outbox import SENDING_LEASE
from mailflow.config import DEFAULT_ASSOCIATION, Settings
from mailflow.ledger.models import (
    Campaign,
    InboundMessage,
    Member,
    MemberAddress,
    OutboxMail,
    Report,
    ServiceEvent,
    Submission,
)
from mailflow.notices import Notice
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
#: Each issue code in a few words, for lists (the confirmation and `show` give the full sentence).
ISSUE_WORDS = {
    "word_limit": "too long",
    "no_action_line": "no action line",
    "empty": "no text",
    "not_member": "sender not a member",
    "spoofed": "sender forged",
    "late": "arrived late",
    "no_link": "no link",
    "unreadable_attachment": "attachment unreadable",
}


def issue_words(code: str) -> str:
    """``missing_section:trends`` -> ``no trends section``; an unknown code as it is."""
    if code.startswith("missing_section:"):
        return f"no {code.partition(':')[2].replace('_', ' ')} section"
    return ISSUE_WORDS.get(code, code.replace("_", " "))


#: How many entries each to-do list shows at most (the counts say how many there are).
TODO_LIMIT = 50


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
    warnings: list[str] = []
    if settings.campaign.association.strip() == DEFAULT_ASSOCIATION:
        warnings.append(
            Notice(
                f"campaign.association is still the example ({DEFAULT_ASSOCIATION!r}); `mailflow "
                "call` and `mailflow remind` refuse to send until it names your association",
                "example_association",
                name=DEFAULT_ASSOCIATION,
            )
        )
    if not settings.security.trusted_authserv_ids:
        warnings.append(
            Notice(
                "no trusted authserv-id is set (security.trusted_authserv_ids), so a member "
                "address forged by a stranger is not recognised; run `mailflow init` after the "
                "first poll to detect the one your mail server stamps, or set it in mailflow.toml",
                "no_authserv_id",
            )
        )
    return warnings


def status(
    session: Session,
    settings: Settings,
    *,
    now: datetime | None = None,
    changed: tuple[int, list[dict[str, Any]]] = (0, []),
) -> dict[str, Any]:
    """The campaign at a glance (`mailflow status --json`); ``changed`` is the number of
    contributions changed since the report was sent and the first `TODO_LIMIT` of them, as
    `mailflow.campaign.report_changes` finds them (this layer reads no report entries)."""
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
        # The columns shown, not the row: a report's text and manifest run to megabytes.
        row = session.execute(
            select(
                Report.state,
                Report.message_id,
                Report.sent_at,
                Report.acknowledged_at,
                Report.created_at,
            )
            .where(Report.campaign_id == campaign.id)
            .order_by(Report.id.desc())
            .limit(1)
        ).first()
        if row is not None:
            report = {
                "state": row.state,
                "message_id": row.message_id,
                "sent_at": iso(row.sent_at),
                "acknowledged_at": iso(row.acknowledged_at),
                "compiled_at": iso(row.created_at),
            }
    # One number with one meaning: contributions (one per member) that a report compiled now
    # would print differently from the sent one; the to-do list shows the same ones.
    report["changed_since_sent"] = changed[0]
    report["changed_since_sent_unit"] = "contribution"

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
    last_poll = events.get("last_poll")
    last_error = events.get("last_error")
    if last_error is not None and last_poll is not None and last_poll.at > last_error.at:
        last_error = None  # a later pass succeeded: the error is history
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
            "days_left": int(remaining // 86400) if remaining >= 0 else None,
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
            "last_poll": iso(last_poll.at) if last_poll else None,
            "last_poll_summary": last_poll.detail if last_poll else None,
            "last_error": last_error.detail if last_error else None,
            "last_error_at": iso(last_error.at) if last_error else None,
            # The last successful fetch (a poll or a pass of serve).
            "last_fetch": iso(last_poll.at) if last_poll else None,
            "last_send": iso(session.scalar(select(func.max(OutboxMail.sent_at)))),
        },
        "delivery_error": _delivery_error(session),
        "todo": todo(session, campaign, notes, changed[1], now=now),
    }


def _delivery_error(session: Session) -> dict[str, Any] | None:
    """Why queued mail is waiting now: the newest error of a mail still in the queue."""
    mail = session.scalars(
        select(OutboxMail)
        .where(OutboxMail.state == OutboxState.QUEUED.value, OutboxMail.last_error != "")
        .order_by(OutboxMail.updated_at.desc())
        .limit(1)
    ).first()
    if mail is None:
        return None
    waiting = session.scalar(
        select(func.count()).where(
            OutboxMail.state == OutboxState.QUEUED.value, OutboxMail.last_error != ""
        )
    )
    return {"error": mail.last_error, "at": iso(mail.updated_at), "mails": waiting or 0}


def todo(
    session: Session,
    campaign: Campaign | None,
    notes: list[dict[str, Any]],
    changed: list[dict[str, Any]],
    *,
    now: datetime,
) -> dict[str, list[dict[str, Any]]]:
    """What needs the coordinator, each list oldest first (``changed`` as given)."""
    return {
        "held": _held(session, campaign),
        "not_answered": _not_answered(session, campaign),
        "member_notes": notes,
        "mail_problems": _mail_problems(session, now),
        "changed_since_report": changed,
    }


def _held(session: Session, campaign: Campaign | None) -> list[dict[str, Any]]:
    if campaign is None:
        return []
    rows = session.execute(
        select(Submission, Member)
        .outerjoin(Member, Member.id == Submission.member_id)
        .where(Submission.campaign_id == campaign.id, Submission.status == "held")
        .order_by(Submission.id)
        .limit(TODO_LIMIT)
    )
    return [
        {
            "id": sub.id,
            "member": sub.sender_address,
            "name": member.name if member else "",
            "organisation": sub.fields.get("organisation")
            or (member.organisation if member else ""),
            "received_at": iso(sub.received_at),
            "issues": [i["code"] for i in sub.issues],
            "why": ", ".join(
                issue_words(i["code"]) for i in sub.issues if i.get("severity") != "warning"
            ),
            "accept": f"mailflow review {sub.id} --accept",
            "reject": f"mailflow review {sub.id} --reject",
        }
        for sub, member in rows
    ]


def _answered_member_ids(session: Session, campaign: Campaign) -> set[int]:
    """Members with a submission in ``campaign``, by member or from any of their addresses."""
    in_campaign = Submission.campaign_id == campaign.id
    by_member = session.scalars(
        select(Submission.member_id).where(in_campaign, Submission.member_id.is_not(None))
    )
    # A submission with a member counts for that member; only those without one are matched
    # by address (a stranger's address given to a member later).
    by_address = session.scalars(
        select(MemberAddress.member_id)
        .join(Submission, func.lower(Submission.sender_address) == MemberAddress.address)
        .where(in_campaign, Submission.member_id.is_(None))
    )
    return {i for i in by_member if i is not None} | set(by_address)


def _not_answered(session: Session, campaign: Campaign | None) -> list[dict[str, Any]]:
    answered = _answered_member_ids(session, campaign) if campaign is not None else set()
    # Ids first, then only the members who have not answered, with their addresses in one query
    # per chunk: loading every active member as an object took 0.6 s of a 10,000-member status.
    active = session.scalars(select(Member.id).where(Member.active.is_(True)))
    waiting = [member_id for member_id in active if member_id not in answered]
    found: list[Member] = []
    for start in range(0, len(waiting), 500):
        chunk = waiting[start : start + 500]
        found.extend(
            session.scalars(
                select(Member).options(selectinload(Member.addresses)).where(Member.id.in_(chunk))
            )
        )
    found.sort(key=lambda member: (member.name, member.id))
    return [
        {
            "name": member.name,
            "organisation": member.organisation,
            "addresses": [a.address for a in member.addresses],
        }
        for member in found
    ]


def _mail_problems(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Mail that failed or bounced, waits for a retry after an error, or is stuck in sending."""
    stuck = (OutboxMail.state == OutboxState.SENDING.value) & (
        OutboxMail.updated_at < now - timedelta(minutes=1)
    )
    waiting = (OutboxMail.state == OutboxState.QUEUED.value) & (OutboxMail.last_error != "")
    broken = OutboxMail.state.in_([OutboxState.FAILED.value, OutboxState.BOUNCED.value])
    rows = session.scalars(
        select(OutboxMail).where(stuck | waiting | broken).order_by(OutboxMail.id).limit(TODO_LIMIT)
    )
    problems = []
    for mail in rows:
        reason: str
        if mail.state == OutboxState.SENDING.value:
            minutes = int(SENDING_LEASE.total_seconds() // 60)
            reason = Notice(
                "sending since "
                + (iso(mail.updated_at) or "")
                + f"; it goes back to the queue {minutes} minutes after that",
                "mail_sending",
                since=iso(mail.updated_at) or "",
                minutes=minutes,
            )
        elif mail.state == OutboxState.BOUNCED.value:
            reason = Notice("bounced: the address does not take mail", "mail_bounced")
        else:
            reason = mail.last_error or Notice("no reason recorded", "no_reason")
        problems.append(
            {
                "id": mail.id,
                "kind": mail.kind,
                "recipient": mail.recipient,
                "state": mail.state,
                "attempts": mail.attempts,
                "reason": reason,
                "next_attempt_at": iso(mail.next_attempt_at)
                if mail.state == OutboxState.QUEUED.value
                else None,
            }
        )
    return problems
