"""The coordinator's mailings to members: the call for contributions and reminders.

Each function queues mail in the outbox (committed) and then flushes it, never sending directly.
Composing the mail lives in `mailflow.answering.compose`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailflow.answering import compose, outbox
from mailflow.config import Settings
from mailflow.errors import StateError
from mailflow.intake import campaign_info
from mailflow.ledger import Ledger, sync_campaign
from mailflow.ledger.models import Member, OutboxMail, Submission
from mailflow.states import SubmissionStatus


@dataclass(frozen=True)
class Mailing:
    queued: int
    skipped: int
    delivery: dict[str, int]


# -- call and reminders --------------------------------------------------------------------------
def _active_members(session: Session) -> list[Member]:
    return list(session.scalars(select(Member).where(Member.active.is_(True)).order_by(Member.id)))


def _usable_address(member: Member) -> str | None:
    for address in member.addresses:
        if address.undeliverable_at is None:
            return address.address
    return None


def send_call(settings: Settings, ledger: Ledger, *, again: bool = False) -> Mailing:
    """Queue the call for contributions to every active member (once per campaign) and send."""
    now = datetime.now(UTC)
    info = campaign_info(settings)
    queued = skipped = 0
    with ledger.transaction() as session:
        campaign = sync_campaign(session, settings.campaign)
        for member in _active_members(session):
            address = _usable_address(member)
            already = session.scalar(
                select(func.count())
                .select_from(OutboxMail)
                .where(
                    OutboxMail.kind == "call",
                    OutboxMail.member_id == member.id,
                    OutboxMail.campaign_id == campaign.id,
                )
            )
            if address is None or (already and not again):
                skipped += 1
                continue
            mail = compose.call_for_contributions(
                address, member.name, member.language or "en", info, now=now
            )
            _queue(session, "call", mail, settings, campaign.id, member.id)
            queued += 1
    return Mailing(queued=queued, skipped=skipped, delivery=outbox.flush(settings, ledger))


def send_reminders(
    settings: Settings, ledger: Ledger, *, days_before: int | None = None
) -> Mailing:
    """Remind active members with no accepted submission; at most one reminder a day each."""
    now = datetime.now(UTC)
    deadline = settings.campaign.deadline
    if now >= deadline:
        raise StateError(f"the deadline ({deadline.isoformat()}) has passed; no reminders")
    if days_before is not None and deadline - now > timedelta(days=days_before):
        return Mailing(queued=0, skipped=0, delivery={})
    info = campaign_info(settings)
    queued = skipped = 0
    with ledger.transaction() as session:
        campaign = sync_campaign(session, settings.campaign)
        done = set(
            session.scalars(
                select(Submission.member_id).where(
                    Submission.campaign_id == campaign.id,
                    Submission.status == SubmissionStatus.ACCEPTED.value,
                    Submission.member_id.is_not(None),
                )
            )
        )
        for member in _active_members(session):
            address = _usable_address(member)
            recent = session.scalar(
                select(func.count())
                .select_from(OutboxMail)
                .where(
                    OutboxMail.kind == "reminder",
                    OutboxMail.member_id == member.id,
                    OutboxMail.created_at > now - timedelta(hours=20),
                )
            )
            if member.id in done or address is None or recent:
                skipped += 1
                continue
            mail = compose.reminder(address, member.name, member.language or "en", info, now=now)
            _queue(session, "reminder", mail, settings, campaign.id, member.id)
            queued += 1
    return Mailing(queued=queued, skipped=skipped, delivery=outbox.flush(settings, ledger))


def _queue(
    session: Session,
    kind: str,
    mail: compose.Outgoing,
    settings: Settings,
    campaign_id: int,
    member_id: int,
) -> None:
    outbox.queue(
        session,
        kind=kind,
        message_id=mail.message_id,
        sender=settings.smtp.from_address,
        recipient=mail.to_address,
        subject=mail.subject,
        data=mail.data,
        campaign_id=campaign_id,
        member_id=member_id,
    )
