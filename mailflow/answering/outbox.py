"""The outbox: every mail mailflow sends is a ledger row before it is a delivery attempt.

`queue` stores a finished message (its Message-ID fixed before the first attempt) in state
``queued``. `flush` claims due rows (``queued`` -> ``sending``, committed), hands them to a sink in
one batch over one connection, and records each result: ``sent``; ``queued`` again with an
exponential backoff after a 4xx reply or a connection error; ``failed`` after a 5xx reply or the
last attempt. Every move is checked against `OUTBOX_TRANSITIONS` (`transition` for a loaded row).

Delivery is at-least-once: if the process dies after the SMTP server accepted a mail but before
the ``sent`` mark was committed, the row is still ``sending``; the next flush puts rows left in
``sending`` for longer than a lease back in the queue and sends them again, with the same
Message-ID, so the receiver can recognise the duplicate. The results of one batch (up to
`BATCH_SIZE` mails) are committed together as soon as the batch is delivered, so a crash
in the middle of a batch can send again every mail of that batch the server had accepted so
far; without a crash every mail is sent once, since a row leaves ``sending`` only through its
recorded result. Claiming and recording are a few statements per batch (rows updated by
primary key), not an ORM load per mail. Bounces of our own mail are matched by
`mark_bounced`. Building the messages lives in `mailflow.answering.compose`, moving bytes in
`mailflow.answering.sinks`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from mailflow.answering.sinks import (
    DeliveryResult,
    Envelope,
    FileSink,
    Outcome,
    Sink,
    SmtpSink,
)
from mailflow.answering.sinks import SmtpSettings as SinkSettings
from mailflow.config import Settings, SmtpSettings
from mailflow.errors import StateError
from mailflow.ledger.models import (
    OUTBOX_TRANSITIONS,
    MemberAddress,
    OutboxMail,
    OutboxState,
    Submission,
)
from mailflow.ledger.store import Ledger, PendingRows

log = logging.getLogger(__name__)

#: A row left in ``sending`` longer than this belonged to a process that died mid-delivery.
SENDING_LEASE = timedelta(minutes=10)
#: Rows claimed and delivered together over one connection.
BATCH_SIZE = 100
#: Kinds of automatic mail that count toward the per-address daily loop breaker.
AUTOMATIC_KINDS = ("confirmation",)


def transition(mail: OutboxMail, target: OutboxState) -> None:
    """Move ``mail`` to ``target`` or raise `StateError` if the state machine forbids it."""
    _check(mail.message_id, OutboxState(mail.state), target)
    mail.state = target.value


def _check(message_id: str, current: OutboxState, target: OutboxState) -> None:
    if target not in OUTBOX_TRANSITIONS[current]:
        raise StateError(f"outbox mail {message_id}: {current} -> {target} is not allowed")


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


def make_sink(smtp: SmtpSettings) -> Sink:
    """The file sink when ``smtp.outdir`` is set, else SMTP as configured."""
    if smtp.outdir:
        return FileSink(Path(smtp.outdir))
    return SmtpSink(
        SinkSettings(
            host=smtp.host,
            port=smtp.port,
            security=smtp.security,
            user=smtp.user if smtp.password else None,
            password=smtp.password.reveal() if smtp.password else None,
            timeout=smtp.timeout_s,
            ca_file=smtp.ca_file or None,
        )
    )


def backoff(attempts: int, base_s: float) -> timedelta:
    """Delay before attempt ``attempts + 1``: base, 2×base, 4×base … capped at six hours."""
    return timedelta(seconds=min(base_s * 2 ** max(attempts - 1, 0), 6 * 3600))


@dataclass(frozen=True)
class _Claimed:
    """A row this process moved to ``sending``: what delivery and recording need of it."""

    id: int
    message_id: str
    sender: str
    recipient: str
    data: bytes
    attempts: int  # including the attempt being made


def flush(
    settings: Settings,
    ledger: Ledger,
    *,
    sink: Sink | None = None,
    now: datetime | None = None,
    ignore_schedule: bool = False,
) -> dict[str, int]:
    """Deliver every due queued mail; returns counts of the outcomes (sent/retry/failed)."""
    counts: dict[str, int] = {}
    own_sink = sink is None
    active: Sink | None = sink
    # Each row at most once per flush: rows sent or failed are no longer ``queued``, so only
    # those put back for a retry need keeping out of the next claims.
    retried: set[int] = set()
    try:
        while True:
            moment = now or datetime.now(UTC)
            batch = _claim(ledger, moment, ignore_schedule=ignore_schedule, skip=retried)
            if not batch:
                break
            if active is None:
                active = make_sink(settings.smtp)
            envelopes = [
                Envelope(
                    message_id=mail.message_id,
                    sender=mail.sender,
                    recipients=(mail.recipient,),
                    data=mail.data,
                )
                for mail in batch
            ]
            results = active.deliver(envelopes)
            # Commit point: the results of the whole batch in one transaction. A crash before it
            # leaves the batch in ``sending``: after the lease those mails are sent again with
            # the same Message-IDs (at-least-once, as the module docstring says).
            with ledger.transaction() as session:
                outcomes = _record(session, batch, results, settings.smtp, moment)
            for mail, outcome in zip(batch, outcomes, strict=True):
                counts[outcome] = counts.get(outcome, 0) + 1
                if outcome == "retry":
                    retried.add(mail.id)
            # A batch with nothing delivered and everything retried means the server is down:
            # stop here and let the schedule bring the rows back.
            if all(r.outcome == Outcome.RETRY for r in results):
                break
    finally:
        if own_sink and active is not None:
            active.close()
    return counts


def _claim(
    ledger: Ledger, now: datetime, *, ignore_schedule: bool, skip: set[int]
) -> list[_Claimed]:
    """Move up to BATCH_SIZE due rows to ``sending`` and commit, so only this process sends them."""
    with ledger.transaction() as session:
        # Rows stuck in ``sending`` belong to a process that died; send them again (same id).
        session.execute(
            update(OutboxMail)
            .where(
                OutboxMail.state == OutboxState.SENDING.value,
                OutboxMail.updated_at < now - SENDING_LEASE,
            )
            .values(state=OutboxState.QUEUED.value, updated_at=now)
        )
        query = (
            select(
                OutboxMail.id,
                OutboxMail.message_id,
                OutboxMail.sender,
                OutboxMail.recipient,
                OutboxMail.data,
                OutboxMail.attempts,
                OutboxMail.state,
            )
            .where(OutboxMail.state == OutboxState.QUEUED.value)
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(BATCH_SIZE)
        )
        if not ignore_schedule:
            query = query.where(OutboxMail.next_attempt_at <= now)
        if skip:
            query = query.where(OutboxMail.id.not_in(skip))
        if not ledger.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        claimed = []
        for row in session.execute(query):
            _check(row.message_id, OutboxState(row.state), OutboxState.SENDING)
            claimed.append(
                _Claimed(
                    row.id, row.message_id, row.sender, row.recipient, row.data, row.attempts + 1
                )
            )
        if claimed:
            # One UPDATE for the batch; the rows are locked (SKIP LOCKED above, or SQLite's
            # BEGIN IMMEDIATE), so they are still ``queued`` here.
            session.execute(
                update(OutboxMail)
                .where(OutboxMail.id.in_([mail.id for mail in claimed]))
                .values(
                    state=OutboxState.SENDING.value,
                    attempts=OutboxMail.attempts + 1,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        # Commit point: these rows are now ``sending``; a crash from here until the results are
        # recorded leaves them for the lease above (at-least-once, same Message-ID).
    return claimed


#: Recording a batch: one UPDATE by primary key per row, run as one executemany per kind of
#: outcome. A row that is no longer ``sending`` (another process took it back after the lease)
#: is left as that process leaves it.
_OUTBOX = cast(Table, OutboxMail.__table__)
_RECORD = update(_OUTBOX).where(
    _OUTBOX.c.id == bindparam("row_id"), _OUTBOX.c.state == OutboxState.SENDING.value
)


def _record(
    session: Session,
    batch: Sequence[_Claimed],
    results: Sequence[DeliveryResult],
    smtp: SmtpSettings,
    now: datetime,
) -> list[str]:
    """Record each delivery result of ``batch``; returns the outcome of each row, in order."""
    changed_at = datetime.now(UTC)
    outcomes: list[str] = []
    by_outcome: dict[str, list[dict[str, Any]]] = {}
    for mail, result in zip(batch, results, strict=True):
        reply = result.reply[:2000]
        values: dict[str, Any] = {
            "row_id": mail.id,
            "smtp_code": result.code,
            "smtp_reply": reply,
            "updated_at": changed_at,
        }
        if result.outcome == Outcome.SENT:
            target, outcome = OutboxState.SENT, "sent"
            values.update(sent_at=now, last_error="")
        elif result.outcome == Outcome.RETRY and mail.attempts < smtp.max_attempts:
            target, outcome = OutboxState.QUEUED, "retry"
            values.update(
                next_attempt_at=now + backoff(mail.attempts, smtp.retry_base_s), last_error=reply
            )
        else:
            target, outcome = OutboxState.FAILED, "failed"
            values.update(last_error=reply)
        _check(mail.message_id, OutboxState.SENDING, target)
        values["state"] = target.value
        by_outcome.setdefault(outcome, []).append(values)
        outcomes.append(outcome)
        log.info(
            "outbox %s to %s: %s (%s %s)",
            mail.message_id,
            mail.recipient,
            outcome,
            result.code or "-",
            result.reply[:200],
        )
    for rows in by_outcome.values():
        session.execute(_RECORD, rows)
    return outcomes


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
        transition(mail, OutboxState.BOUNCED)
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
    query = select(OutboxMail).order_by(OutboxMail.id)
    if state:
        query = query.where(OutboxMail.state == state)
    return list(session.scalars(query))
