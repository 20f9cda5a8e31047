"""The coordinator's mailings to members: the call for contributions and reminders.

Each function queues mail in the outbox (committed) and then flushes it, never sending directly.
With ``dry_run`` it works out the same recipients and changes nothing. Both refuse while the
configuration still names the example association or the deadline has passed, unless ``force``:
a call signed by "Example Library Association", or a reminder of a date gone by, is worse than
none (reminders stay refused after the deadline, even forced). Composing the mail lives in
`mailflow.answering.compose`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailflow.answering import compose, outbox
from mailflow.answering.outbox import Delivery
from mailflow.config import DEFAULT_ASSOCIATION, Settings
from mailflow.errors import StateError
from mailflow.intake import campaign_info
from mailflow.ledger import Ledger, sync_campaign
from mailflow.ledger.models import Member, MemberAddress, OutboxMail, Submission
from mailflow.states import SubmissionStatus


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str
    organisation: str
    language: str


@dataclass(frozen=True)
class Mailing:
    queued: int
    skipped: int
    delivery: Delivery = field(default_factory=Delivery)
    recipients: tuple[Recipient, ...] = ()
    dry_run: bool = False
    reason: str = ""  # why nothing was queued, when nothing was

    def as_dict(self) -> dict[str, object]:
        return {
            "queued": self.queued,
            "skipped": self.skipped,
            "dry_run": self.dry_run,
            "reason": self.reason or None,
            "recipients": [vars(r) for r in self.recipients],
            "delivery": dict(self.delivery),
        }


def _refuse_unless_ready(settings: Settings, what: str, now: datetime) -> None:
    """`StateError` while the configuration is the example or the deadline is past."""
    c = settings.campaign
    if c.association.strip() == DEFAULT_ASSOCIATION:
        raise StateError(
            f"campaign.association is still the example ({DEFAULT_ASSOCIATION!r}); set your "
            f"association's name in {settings.path or 'mailflow.toml'}, or send the {what} "
            "anyway with --force"
        )
    if now >= c.deadline:
        raise StateError(
            f"the deadline ({c.deadline.isoformat()}) has passed; set campaign.deadline to this "
            f"campaign's, or send the {what} anyway with --force"
        )


def _active_members(session: Session) -> list[Member]:
    return list(session.scalars(select(Member).where(Member.active.is_(True)).order_by(Member.id)))


def _usable_address(member: Member) -> str | None:
    for address in member.addresses:
        if address.undeliverable_at is None:
            return address.address
    return None


def _recipient(member: Member, address: str) -> Recipient:
    return Recipient(address, member.name, member.organisation, member.language or "en")


def send_call(
    settings: Settings,
    ledger: Ledger,
    *,
    again: bool = False,
    dry_run: bool = False,
    force: bool = False,
) -> Mailing:
    """Queue the call for contributions to every active member (once per campaign) and send."""
    now = datetime.now(UTC)
    if not force:
        _refuse_unless_ready(settings, "call", now)
    info = campaign_info(settings)
    recipients: list[Recipient] = []
    skipped = 0
    with ledger.transaction() as session:
        campaign = sync_campaign(session, settings.campaign)
        called = set(
            session.scalars(
                select(OutboxMail.member_id).where(
                    OutboxMail.kind == "call", OutboxMail.campaign_id == campaign.id
                )
            )
        )
        for member in _active_members(session):
            address = _usable_address(member)
            if address is None or (member.id in called and not again):
                skipped += 1
                continue
            recipients.append(_recipient(member, address))
            if not dry_run:
                mail = compose.call_for_contributions(
                    address, member.name, member.language or "en", info, now=now
                )
                _queue(session, "call", mail, settings, campaign.id, member.id)
        if dry_run:
            session.rollback()  # the campaign row too: a dry run changes nothing
    reason = "" if recipients else "every active member already got the call (--again resends)"
    return _finish(settings, ledger, recipients, skipped, dry_run, reason)


def send_reminders(
    settings: Settings,
    ledger: Ledger,
    *,
    days_before: int | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> Mailing:
    """Remind active members with no accepted submission; at most one reminder a day each.

    A member has contributed when an accepted submission is theirs or came from any of their
    addresses (an alias added after the mail arrived included).
    """
    now = datetime.now(UTC)
    deadline = settings.campaign.deadline
    if now >= deadline:  # even with --force: a reminder of a date gone by helps nobody
        raise StateError(f"the deadline ({deadline.isoformat()}) has passed; no reminders")
    if not force:
        _refuse_unless_ready(settings, "reminders", now)
    if days_before is not None and deadline - now > timedelta(days=days_before):
        days = (deadline - now).days
        return Mailing(
            queued=0,
            skipped=0,
            dry_run=dry_run,
            reason=f"the deadline is {days} days away; --days-before {days_before} sends "
            f"reminders only from {days_before} days before it",
        )
    info = campaign_info(settings)
    recipients: list[Recipient] = []
    skipped = 0
    with ledger.transaction() as session:
        campaign = sync_campaign(session, settings.campaign)
        accepted = (Submission.campaign_id == campaign.id) & (
            Submission.status == SubmissionStatus.ACCEPTED.value
        )
        done = set(
            session.scalars(
                select(Submission.member_id).where(accepted, Submission.member_id.is_not(None))
            )
        ) | set(
            # Only a submission without a member counts by its address: one that has a member
            # is that member's, even if its address has since gone to another member.
            session.scalars(
                select(MemberAddress.member_id)
                .join(Submission, func.lower(Submission.sender_address) == MemberAddress.address)
                .where(accepted, Submission.member_id.is_(None))
            )
        )
        reminded = set(
            session.scalars(
                select(OutboxMail.member_id).where(
                    OutboxMail.kind == "reminder",
                    OutboxMail.created_at > now - timedelta(hours=20),
                )
            )
        )
        members = _active_members(session)
        for member in members:
            address = _usable_address(member)
            if member.id in done or address is None or member.id in reminded:
                skipped += 1
                continue
            recipients.append(_recipient(member, address))
            if not dry_run:
                mail = compose.reminder(
                    address, member.name, member.language or "en", info, now=now
                )
                _queue(session, "reminder", mail, settings, campaign.id, member.id)
        if dry_run:
            session.rollback()
    reason = ""
    if not recipients:
        reason = (
            "no active members; add some with `mailflow members import FILE.csv`"
            if not members
            else "every active member has an accepted contribution, was reminded in the last "
            "20 hours, or has no deliverable address"
        )
    return _finish(settings, ledger, recipients, skipped, dry_run, reason)


def _finish(
    settings: Settings,
    ledger: Ledger,
    recipients: list[Recipient],
    skipped: int,
    dry_run: bool,
    reason: str,
) -> Mailing:
    delivery = Delivery() if dry_run else outbox.flush(settings, ledger)
    return Mailing(
        queued=0 if dry_run else len(recipients),
        skipped=skipped,
        delivery=delivery,
        recipients=tuple(recipients),
        dry_run=dry_run,
        reason=reason,
    )


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
