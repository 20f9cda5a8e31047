"""Outbox rows outside delivery: queueing a mail, the loop breaker's counts, a coordinator's
retry of failed mail, bounces of our own mail, listing (every move through `mailflow.states`).

`mailflow.answering.outbox` re-exports all of these and owns delivery (claiming, sending through
a sink, recording each result).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from mailflow.errors import NotFoundError
from mailflow.ledger import PendingRows
from mailflow.ledger.models import MemberAddress, OutboxMail, Submission
from mailflow.notices import Notice
from mailflow.states import OutboxState, move

__all__ = [
    "AUTOMATIC_KINDS",
    "all_mail",
    "as_dict",
    "automatic_mail_counts",
    "automatic_mails_today",
    "mark_bounced",
    "queue",
    "retry",
]

#: Kinds of automatic mail that count toward the per-address daily loop breaker.
AUTOMATIC_KINDS = ("confirmation",)


def queue(
    session: Session,
    *,
    kind: str,
    message_id: str,
    sender: str,
    recipient: str,
    subject: str,
    data: bytes,
    campaign_id: int | None = None,
    submission_id: int | None = None,
    member_id: int | None = None,
    report_id: int | None = None,
    submission: Submission | None = None,
    pending: PendingRows | None = None,
) -> OutboxMail:
    """Store one finished mail as ``queued``; it is sent only after the caller commits.

    ``submission`` may be given instead of ``submission_id`` for one not written yet; with
    ``pending`` the row is left to it (a poll writes a chunk's rows together), else it is added
    to the session and flushed.
    """
    mail = OutboxMail(
        kind=kind,
        message_id=message_id,
        sender=sender,
        recipient=recipient,
        subject=subject,
        data=data,
        state=OutboxState.QUEUED.value,
        campaign_id=campaign_id,
        submission_id=submission_id,
        member_id=member_id,
        report_id=report_id,
        next_attempt_at=datetime.now(UTC),
    )
    if submission is not None:
        mail.submission = submission
    if pending is not None:
        pending.add(mail)
    else:
        session.add(mail)
        session.flush()
    return mail


def automatic_mails_today(session: Session, recipient: str, *, now: datetime) -> int:
    """How many automatic mails were queued for ``recipient`` in the last 24 hours."""
    return automatic_mail_counts(session, [recipient], now=now)[recipient]


def automatic_mail_counts(
    session: Session, recipients: Collection[str], *, now: datetime
) -> dict[str, int]:
    """`automatic_mails_today` for many recipients in one query (0 for those with none)."""
    counts = dict.fromkeys(recipients, 0)
    if recipients:
        rows = session.execute(
            select(OutboxMail.recipient, func.count())
            .where(
                OutboxMail.recipient.in_(list(recipients)),
                OutboxMail.kind.in_(AUTOMATIC_KINDS),
                OutboxMail.created_at > now - timedelta(days=1),
            )
            .group_by(OutboxMail.recipient)
        )
        counts.update({recipient: count for recipient, count in rows})
    return counts


def retry(
    session: Session, ids: Sequence[int] = (), *, all_failed: bool = False, now: datetime
) -> list[OutboxMail]:
    """Put ``failed`` mail back in the queue, due now, its attempts counted from zero.

    ``ids`` names the rows; ``all_failed`` takes every failed row. A named row that does not
    exist is `NotFoundError`; one that is not ``failed`` is `StateError` (a sent mail is never
    sent again). Nothing changes unless every named row can be retried.
    """
    if all_failed:
        query = select(OutboxMail).where(OutboxMail.state == OutboxState.FAILED.value)
        mails = list(session.scalars(query.order_by(OutboxMail.id)))
    else:
        found = {m.id: m for m in session.scalars(select(OutboxMail).where(OutboxMail.id.in_(ids)))}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise NotFoundError(
                Notice(
                    f"no outbox mail with id {', '.join(missing)}",
                    "no_outbox_mail",
                    ids=", ".join(missing),
                )
            )
        mails = [found[i] for i in dict.fromkeys(ids)]
    for mail in mails:
        move(mail, OutboxState.QUEUED)  # named by its id, as the coordinator named it
        mail.attempts = 0
        mail.next_attempt_at = now
        mail.updated_at = now
    return mails


def mark_bounced(
    session: Session,
    original_ids: Iterable[str],
    failed_recipients: Sequence[str],
    *,
    permanent: bool,
    at: datetime,
) -> list[OutboxMail]:
    """Mark our sent mail named by a bounce as ``bounced`` and its address undeliverable.

    Matched by the bounced mail's Message-ID; when the bounce quotes none, by recipient among
    recently sent mail. Delay notices (not permanent) change nothing.
    """
    if not permanent:
        return []
    ids = [i for i in original_ids if i]
    conditions = []
    if ids:
        conditions.append(OutboxMail.message_id.in_(ids))
    elif failed_recipients:
        conditions.append(OutboxMail.recipient.in_(list(failed_recipients)))
    if not conditions:
        return []
    mails = list(
        session.scalars(
            select(OutboxMail).where(or_(*conditions), OutboxMail.state == OutboxState.SENT.value)
        )
    )
    for mail in mails:
        move(mail, OutboxState.BOUNCED, what=mail.message_id)
        for address in session.scalars(
            select(MemberAddress).where(MemberAddress.address == mail.recipient)
        ):
            address.undeliverable_at = at
    return mails


def as_dict(mail: OutboxMail) -> dict[str, object]:
    """The JSON shape of `outbox list --json`."""
    return {
        "id": mail.id,
        "kind": mail.kind,
        "message_id": mail.message_id,
        "recipient": mail.recipient,
        "subject": mail.subject,
        "state": mail.state,
        "attempts": mail.attempts,
        "next_attempt_at": mail.next_attempt_at.isoformat() if mail.next_attempt_at else None,
        "last_error": mail.last_error,
        "smtp_code": mail.smtp_code,
        "smtp_reply": mail.smtp_reply,
        "created_at": mail.created_at.isoformat() if mail.created_at else None,
        "sent_at": mail.sent_at.isoformat() if mail.sent_at else None,
    }


def all_mail(session: Session, *, state: str | None = None) -> list[OutboxMail]:
    """Every outbox row (or those in ``state``), oldest first."""
    query = select(OutboxMail).order_by(OutboxMail.id)
    if state:
        query = query.where(OutboxMail.state == state)
    return list(session.scalars(query))
