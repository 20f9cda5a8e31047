"""What happens to one recorded message once it is prepared: judge and answer, or match.

The pure stages (parse, classify, read, understand) ran before, in `mailflow.reading.prepare`; what
they found arrives as a `Prepared`. `process` runs inside the pipeline's transaction: a failure the
pure stages reported is recorded as state ``failed`` with the error. A poll first writes a chunk's
new rows together (`mailflow.ledger.PendingRows`); if the database refuses that, each message
runs again in a savepoint of its own, so whatever a stage raises, the message stays recorded with
state ``failed`` and the rest of the chunk goes on. `Context.prime` loads per chunk the members,
latest submissions and daily counts the messages will ask for. Contributions become submissions
(`mailflow.submissions`) with a queued confirmation (`mailflow.answering.compose`,
`mailflow.answering.outbox`) when they are accepted or need revision and the sender is a member who
has not hit the daily loop breaker. Bounces mark our own mail bounced; replies to the report mark it
acknowledged. Nothing here talks to a server: sending happens after the commit, from the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailflow import members, submissions
from mailflow.answering import compose, outbox
from mailflow.config import Settings
from mailflow.errors import DeliveryError
from mailflow.ledger import PendingRows, sync_campaign
from mailflow.ledger.models import (
    InboundMessage,
    Member,
    MemberAddress,
    OutboxMail,
    Report,
    Submission,
)
from mailflow.reading import mime
from mailflow.reading.prepare import Known, Prepared
from mailflow.reading.validate import Rules, is_note, judge
from mailflow.states import (
    CONFIRMED_STATUSES,
    REPORT,
    InboundState,
    MessageKind,
    ReportState,
    move,
)

log = logging.getLogger(__name__)

#: Submission statuses that get a confirmation mail.


@dataclass
class Context:
    """What processing needs beyond the message, loaded once per poll.

    `prime` loads, in a few queries per chunk, the rows the chunk's messages will ask for (their
    senders' members, each author's latest submission, automatic mails sent today), and
    `process` keeps them current as it records; without priming, each is a query of its own.
    """

    settings: Settings
    campaign_id: int
    rules: Rules
    campaign_info: compose.CampaignInfo
    report_ids: set[str]
    own_addresses: frozenset[str]
    member_addresses: frozenset[str] = frozenset()
    _members: dict[str, Member | None] = field(default_factory=dict)
    _latest: dict[tuple[int | None, str], Submission | None] = field(default_factory=dict)
    _mails_today: dict[str, int] = field(default_factory=dict)

    @property
    def known(self) -> Known:
        """What the pure stages need to tell our own mail apart (`mailflow.reading.prepare`)."""
        return Known(
            report_message_ids=frozenset(self.report_ids),
            own_addresses=self.own_addresses,
            member_addresses=self.member_addresses,
        )

    @classmethod
    def load(cls, session: Session, settings: Settings) -> Context:
        campaign = sync_campaign(session, settings.campaign)
        c = settings.campaign
        own = frozenset(
            a for a in (settings.smtp.from_address, settings.imap.user.lower()) if "@" in a
        )
        return cls(
            settings=settings,
            campaign_id=campaign.id,
            rules=Rules(
                word_limit=c.word_limit,
                deadline=c.deadline,
                note_max_words=c.note_max_words,
                late_policy=c.late,
                trusted_authserv_ids=frozenset(settings.security.trusted_authserv_ids),
            ),
            campaign_info=replace(
                campaign_info(settings),
                report_sent_at=session.scalar(
                    select(func.max(Report.sent_at)).where(
                        Report.campaign_id == campaign.id, Report.sent_at.is_not(None)
                    )
                ),
            ),
            report_ids=set(
                session.scalars(select(Report.message_id).where(Report.message_id.is_not(None)))
            ),
            own_addresses=own,
            member_addresses=frozenset(session.scalars(select(MemberAddress.address))),
        )

    def prime(self, session: Session, prepared: Sequence[Prepared], *, now: datetime) -> None:
        """Load what processing ``prepared`` will look up, in one query per kind of row."""
        senders = {p.sender for p in prepared if p.contribution is not None and p.sender}
        self._members = members.find_many(session, senders)
        authors: dict[tuple[int | None, str], Submission | None] = {}
        for sender in senders:
            member = self._members[_address_key(sender)]
            authors[_author(member.id if member else None, sender)] = None
        member_ids = {key[0] for key in authors if key[0] is not None}
        strangers = {key[1] for key in authors if key[0] is None}
        for sub in submissions.latest_of_many(session, self.campaign_id, member_ids, strangers):
            authors[_author(sub.member_id, sub.sender_address)] = sub
        self._latest = authors
        self._mails_today = outbox.automatic_mail_counts(session, senders, now=now)

    def member_for(self, session: Session, address: str) -> Member | None:
        """The member who owns ``address``, or None (`mailflow.members.find_by_address`)."""
        key = _address_key(address)
        if key in self._members:
            return self._members[key]
        return members.find_by_address(session, address)

    def latest_for(self, session: Session, member: Member | None, sender: str) -> Submission | None:
        """This author's newest submission in the campaign (`mailflow.submissions.latest_for`)."""
        key = _author(member.id if member else None, sender)
        if key in self._latest:
            return self._latest[key]
        return submissions.latest_for(session, self.campaign_id, member, sender)

    def mails_today(self, session: Session, recipient: str, *, now: datetime) -> int:
        """Automatic mails queued for ``recipient`` in the last day (the loop breaker's count)."""
        if recipient in self._mails_today:
            return self._mails_today[recipient]
        return outbox.automatic_mails_today(session, recipient, now=now)

    def recorded(self, submission: Submission, queued: int) -> None:
        """Keep the primed rows current once a message's savepoint has committed."""
        key = _author(submission.member_id, submission.sender_address)
        if key in self._latest:
            self._latest[key] = submission
        if submission.sender_address in self._mails_today:
            self._mails_today[submission.sender_address] += queued


def _address_key(address: str) -> str:
    return address.strip().lower()


def _author(member_id: int | None, sender: str) -> tuple[int | None, str]:
    """Who a submission belongs to: the member, or for a stranger the address as written."""
    return (member_id, "") if member_id is not None else (None, sender)


def campaign_info(settings: Settings) -> compose.CampaignInfo:
    c = settings.campaign
    return compose.CampaignInfo(
        name=c.name,
        association=c.association,
        deadline=c.deadline,
        word_limit=c.word_limit,
        from_address=settings.smtp.from_,
        reply_to=settings.smtp.reply_to_header,
    )


@dataclass
class Processed:
    """What processing one message produced (a delivery's outcome is `sinks.Outcome`)."""

    status: str | None = None  # the submission's status, for contributions
    confirmations_queued: int = 0
    submission: Submission | None = None


def process(
    session: Session,
    inbound: InboundMessage,
    prepared: Prepared,
    context: Context,
    *,
    pending: PendingRows | None = None,
) -> Processed:
    """Act on a just-recorded message the pure stages prepared; never raises for bad input.

    Without ``pending``, the message's rows are written in a savepoint of their own, so an error
    undoes only them and the message is recorded as failed. With it (a poll writing a whole
    chunk at once), new rows are left to ``pending`` and an error propagates: the caller then
    records the chunk again, message by message. A failure the pure stages reported is recorded
    either way.
    """
    if prepared.error:
        log.warning(
            "message %s could not be processed: %s\n%s",
            inbound.message_id,
            prepared.error,
            prepared.trace,
        )
        if prepared.classification is not None:  # what it is was found before a stage failed
            inbound.kind = prepared.classification.kind.value
            inbound.kind_reason = prepared.classification.reason[:200]
        return _failed(inbound, prepared.error)
    if pending is not None:
        outcome = _process(session, inbound, prepared, context, pending=pending)
    else:
        try:
            with session.begin_nested():
                outcome = _process(session, inbound, prepared, context, pending=None)
        except Exception as exc:  # hostile input can break any stage; the message stays recorded
            log.warning(
                "message %s could not be processed: %s", inbound.message_id, exc, exc_info=True
            )
            return _failed(inbound, f"{exc.__class__.__name__}: {exc}")
    move(inbound, InboundState.PROCESSED)
    inbound.error = ""
    inbound.processed_at = datetime.now(UTC)
    if outcome.submission is not None:
        context.recorded(outcome.submission, outcome.confirmations_queued)
    return outcome


def _failed(inbound: InboundMessage, error: str) -> Processed:
    move(inbound, InboundState.FAILED)
    inbound.error = error[:2000]
    inbound.processed_at = datetime.now(UTC)
    return Processed()


def _process(
    session: Session,
    inbound: InboundMessage,
    prepared: Prepared,
    context: Context,
    *,
    pending: PendingRows | None,
) -> Processed:
    found = prepared.classification
    assert found is not None  # set whenever there is no error
    inbound.kind = found.kind.value
    inbound.kind_reason = found.reason[:200]
    at = inbound.internal_date or datetime.now(UTC)
    if found.kind == MessageKind.BOUNCE:
        bounced = outbox.mark_bounced(
            session,
            found.original_message_ids,
            found.failed_recipients,
            permanent=found.permanent,
            at=at,
        )
        for mail in bounced:
            if mail.report_id is not None:
                report = session.get(Report, mail.report_id)
                # An acknowledged report stays so: a person's reply outweighs a bounce.
                if report is not None and REPORT.allows(report.state, ReportState.BOUNCED):
                    move(report, ReportState.BOUNCED)
                    report.bounced_at = at
        return Processed()
    if found.kind == MessageKind.ACKNOWLEDGEMENT:
        for report in session.scalars(
            select(Report).where(Report.message_id.in_(found.original_message_ids))
        ):
            if REPORT.allows(report.state, ReportState.ACKNOWLEDGED):
                move(report, ReportState.ACKNOWLEDGED)
                report.acknowledged_at = at
        return Processed()
    if found.kind != MessageKind.CONTRIBUTION:
        return Processed()
    return handle_contribution(session, inbound, prepared, context, pending=pending)


def handle_contribution(
    session: Session,
    inbound: InboundMessage,
    prepared: Prepared,
    context: Context,
    *,
    pending: PendingRows | None,
) -> Processed:
    """Judge and record a prepared contribution, and queue its confirmation."""
    text, contribution = prepared.text, prepared.contribution
    assert text is not None and contribution is not None  # prepared for every contribution
    sender = inbound.sender
    member = context.member_for(session, sender) if sender else None
    received_at = inbound.internal_date or text.date or datetime.now(UTC)
    previous = context.latest_for(session, member, sender)
    if is_note(contribution, context.rules) and (
        previous is not None or _replies_to_us(session, text)
    ):
        # "Thanks so much!" under a quoted confirmation: shown to the coordinator, never a new
        # version (it would replace the contribution) and never answered.
        inbound.kind = MessageKind.MEMBER_NOTE.value
        inbound.kind_reason = "reply without new text" if contribution.word_count == 0 else "note"
        return Processed()
    verdict = judge(
        contribution,
        is_member=member is not None,
        received_at=received_at,
        authentication_results=list(prepared.authentication_results),
        rules=context.rules,
        problems=text.problems,
    )
    attachments = [a.filename for a in text.attachments if a.text]
    submission = submissions.record(
        session,
        campaign_id=context.campaign_id,
        inbound=inbound,
        member=member,
        sender=sender,
        contribution=contribution,
        verdict=verdict,
        received_at=received_at,
        attachments=attachments,
        charset_fallback=text.charset_fallback,
        previous=previous,
        pending=pending,
    )
    queued = (
        queue_confirmation(session, submission, context, text=text, pending=pending)
        if member
        else 0
    )
    return Processed(status=submission.status, confirmations_queued=queued, submission=submission)


def _replies_to_us(session: Session, text: mime.MessageText) -> bool:
    """Whether the message answers mail mailflow sent (a confirmation, call or reminder)."""
    replied = {*text.in_reply_to, *text.references}
    if not replied:
        return False
    found = session.scalar(
        select(OutboxMail.id).where(OutboxMail.message_id.in_(sorted(replied))).limit(1)
    )
    return found is not None


def queue_confirmation(
    session: Session,
    submission: Submission,
    context: Context,
    *,
    text: mime.MessageText | None = None,
    pending: PendingRows | None = None,
) -> int:
    """Queue the confirmation of an accepted / needs-revision submission; returns 0 or 1.

    No confirmation for other statuses, for non-members, or past the daily loop breaker.
    """
    if submission.status not in CONFIRMED_STATUSES:
        return 0
    member = submission.member
    if member is None and submission.reviewed_at is None:
        return 0  # an unknown sender is answered only once a coordinator accepted the mail
    recipient = submission.sender_address
    now = datetime.now(UTC)
    limit = context.settings.security.max_auto_replies_per_day
    if context.mails_today(session, recipient, now=now) >= limit:
        log.warning("loop breaker: %s already got %d automatic mails today", recipient, limit)
        submission.confirmation_note = "daily_limit"
        return 0
    if text is None:
        text = mime.read_message(submission.inbound.raw)
    conf = compose.Confirmation(
        to_address=recipient,
        to_name=(member.name if member else "") or text.from_name,
        language=compose.pick_language(
            (member.language if member else "") or None, submission.language
        ),
        original_subject=text.subject,
        original_message_id=text.message_id,
        original_references=text.references,
        received_at=submission.received_at,
        attachments_read=tuple(submission.attachments),
        status=submission.status,
        issues=tuple(
            compose.IssueNote(code=i["code"], severity=i["severity"], params=i.get("params", {}))
            for i in submission.issues
        ),
        action_lines=tuple(submission.action_lines),
        links=tuple(submission.links),
        word_count=submission.word_count,
        version=submission.version,
    )
    try:
        mail = compose.confirmation(conf, context.campaign_info, now=now)
    except DeliveryError as exc:
        # An address we cannot write to must not cost the member their submission.
        log.warning("no confirmation for %s: %s", submission.inbound.message_id, exc)
        return 0
    outbox.queue(
        session,
        kind="confirmation",
        message_id=mail.message_id,
        sender=context.settings.smtp.from_address,
        recipient=recipient,
        subject=mail.subject,
        data=mail.data,
        campaign_id=submission.campaign_id,
        submission=submission,
        member_id=member.id if member else None,
        pending=pending,
    )
    return 1
