"""The outbox: every mail mailflow sends is a ledger row before it is a delivery attempt.

`queue` stores a finished message (its Message-ID fixed before the first attempt) in state
``queued``. `flush` claims due rows (``queued`` -> ``sending``, committed), hands them to a sink in
one batch over one connection, and records each result: ``sent``; ``queued`` again with an
exponential backoff after a 4xx reply or a connection error; ``failed`` after a 5xx reply or the
last attempt. Every move is checked against the outbox machine of `mailflow.states`.

Delivery is at-least-once: if the process dies after the SMTP server accepted a mail but before
the ``sent`` mark was committed, the row is still ``sending``; the next flush puts rows left in
``sending`` for longer than a lease back in the queue and sends them again, with the same
Message-ID, so the receiver can recognise the duplicate. Each mail's result is committed as soon
as the server answered it (the sink reports it before trying the next mail), so a crash re-sends
at most the one mail whose DATA was accepted but not yet recorded; without a crash every mail is
sent once, since a row leaves ``sending`` only through its recorded result. Claiming is one
statement per batch and recording one UPDATE by primary key per mail, not an ORM load. A failure
caused by mailflow's own configuration (no password, credentials refused, a certificate not
trusted) puts the mail back in the queue without counting the attempt, so it never becomes
``failed`` for it; `retry` puts failed mail back on a coordinator's word. The rows' other
operations (queueing, counts, bounces, listing) live in `mailflow.answering.outbox_rows` and are
re-exported here. Building the messages lives in `mailflow.answering.compose`, moving bytes in
`mailflow.answering.sinks`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.orm import Session

from mailflow.answering.outbox_rows import (
    AUTOMATIC_KINDS,
    all_mail,
    as_dict,
    automatic_mail_counts,
    automatic_mails_today,
    mark_bounced,
    queue,
    retry,
)
from mailflow.answering.sinks import (
    DeliveryResult,
    Envelope,
    Outcome,
    Sink,
)
from mailflow.answering.sinks.configured import make_sink
from mailflow.auth import Credentials
from mailflow.config import Settings, SmtpSettings
from mailflow.errors import AuthError, ConfigError, DeliveryError, NotSentError
from mailflow.ledger import Ledger
from mailflow.ledger.models import OutboxMail
from mailflow.ledger.tokens import credentials_for
from mailflow.notices import notice_of
from mailflow.redact import redact
from mailflow.states import OutboxState, check

__all__ = [
    "AUTOMATIC_KINDS",
    "BATCH_SIZE",
    "SENDING_LEASE",
    "Delivery",
    "all_mail",
    "as_dict",
    "automatic_mail_counts",
    "automatic_mails_today",
    "backoff",
    "flush",
    "make_sink",
    "mark_bounced",
    "queue",
    "retry",
]

log = logging.getLogger(__name__)

#: A row left in ``sending`` longer than this belonged to a process that died mid-delivery.
SENDING_LEASE = timedelta(minutes=10)
#: Rows claimed and delivered together over one connection.
BATCH_SIZE = 100


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


class Delivery(dict[str, int]):
    """Counts of a flush's outcomes (``sent``, ``retry``, ``failed``) and why mail did not go.

    A dict, so callers that only count keep working; ``reasons`` holds each distinct reply of a
    mail that was not sent, in the order met.
    """

    def __init__(self) -> None:
        super().__init__()
        self.reasons: list[str] = []

    @property
    def not_sent(self) -> int:
        return self.get("retry", 0) + self.get("failed", 0)

    def add(self, outcome: str, reason: str) -> None:
        self[outcome] = self.get(outcome, 0) + 1
        reason = reason.removeprefix("not tried: ")  # the rest of a batch the server ended
        if outcome != "sent" and reason and reason not in self.reasons:
            self.reasons.append(reason)

    def raise_if_not_sent(self) -> None:
        """`NotSentError` when any mail of this flush was not sent."""
        if self.not_sent:
            raise NotSentError(
                self.not_sent,
                "; ".join(self.reasons) or "no reason given",
                permanent=not self.get("retry"),
            )


def flush(
    settings: Settings,
    ledger: Ledger,
    *,
    sink: Sink | None = None,
    now: datetime | None = None,
    ignore_schedule: bool = False,
    credentials: Credentials | None = None,
) -> Delivery:
    """Deliver every due queued mail; returns counts of the outcomes (sent/retry/failed).

    Raises `NotSentError` (a `DeliveryError`) when the configuration cannot work (no password
    for ``smtp.user``, credentials refused, no STARTTLS); the claimed mail goes back to the queue
    untouched, its attempts not counted, the reason kept as its last error for `status`.
    With ``smtp.auth = "oauth2"`` the tokens come from ``credentials``, else from the ledger.
    """
    counts = Delivery()
    own_sink = sink is None
    active: Sink | None = sink
    # Each row at most once per flush: rows sent or failed are no longer ``queued``, so only
    # those put back for a retry need keeping out of the next claims.
    retried: set[int] = set()
    try:
        with ledger.hold() as held:  # one connection records every mail
            while True:
                moment = now or datetime.now(UTC)
                batch = _claim(ledger, held, moment, ignore_schedule=ignore_schedule, skip=retried)
                if not batch:
                    break
                recorder = _Recorder(ledger, held, batch, settings.smtp, moment)
                try:
                    if active is None:
                        if credentials is None:
                            credentials = credentials_for(settings, ledger, "smtp")
                        active = make_sink(settings.smtp, credentials)
                    results = active.deliver([_envelope(mail) for mail in batch], recorder)
                except (ConfigError, DeliveryError, AuthError) as exc:
                    # misconfiguration: nothing of it was tried
                    _release(ledger, held, batch, moment, redact(str(exc)))
                    reason = notice_of(exc) or str(exc)  # a notice keeps its code (the console)
                    raise NotSentError(len(batch), reason, permanent=True) from exc
                outcomes = recorder.finish(results)
                for mail, outcome, result in zip(batch, outcomes, results, strict=True):
                    counts.add(outcome, redact(result.reply))
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


class _Recorder:
    """Records each result of a batch as the sink reports it, one commit per mail."""

    def __init__(
        self,
        ledger: Ledger,
        held: Connection,
        batch: Sequence[_Claimed],
        smtp: SmtpSettings,
        now: datetime,
    ) -> None:
        self.ledger, self.held, self.batch, self.smtp, self.now = ledger, held, batch, smtp, now
        self.outcomes: dict[int, str] = {}

    def __call__(self, index: int, result: DeliveryResult) -> None:
        # Commit point, once per mail, as soon as its result is known (for a mail the server
        # accepted: right after the end of DATA). A crash before it leaves only this mail in
        # ``sending``: after the lease it alone is sent again, with the same Message-ID (at
        # most one duplicate per crash).
        mail = self.batch[index]
        values, outcome = _result_values(mail, result, self.smtp, self.now, datetime.now(UTC))
        self.ledger.commit_row_update(
            self.held, _OUTBOX, {"id": mail.id, "state": OutboxState.SENDING.value}, values
        )
        self.outcomes[index] = outcome

    def finish(self, results: Sequence[DeliveryResult]) -> list[str]:
        """Every row's outcome, in order; results the sink did not report are recorded now."""
        missing = [index for index in range(len(self.batch)) if index not in self.outcomes]
        if missing:
            with self.ledger.connection(self.held) as session:
                rest = _record(
                    session,
                    [self.batch[i] for i in missing],
                    [results[i] for i in missing],
                    self.smtp,
                    self.now,
                )
            self.outcomes.update(zip(missing, rest, strict=True))
        return [self.outcomes[index] for index in range(len(self.batch))]


def _envelope(mail: _Claimed) -> Envelope:
    return Envelope(
        message_id=mail.message_id, sender=mail.sender, recipients=(mail.recipient,), data=mail.data
    )


def _release(
    ledger: Ledger, held: Connection, batch: Sequence[_Claimed], now: datetime, reason: str
) -> None:
    """Put claimed rows that are still ``sending`` back in the queue, their attempt not counted,
    with ``reason`` as their last error."""
    with ledger.connection(held) as connection:
        connection.execute(
            update(OutboxMail)
            .where(
                OutboxMail.id.in_([mail.id for mail in batch]),
                OutboxMail.state == OutboxState.SENDING.value,
            )
            .values(
                state=OutboxState.QUEUED.value,
                attempts=OutboxMail.attempts - 1,
                last_error=reason[:2000],
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )


def _claim(
    ledger: Ledger, held: Connection, now: datetime, *, ignore_schedule: bool, skip: set[int]
) -> list[_Claimed]:
    """Move up to BATCH_SIZE due rows to ``sending`` and commit, so only this process sends them."""
    with ledger.connection(held) as session:
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
            check(row.message_id, row.state, OutboxState.SENDING)
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
    session: Session | Connection,
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
        values, outcome = _result_values(mail, result, smtp, now, changed_at)
        values["row_id"] = mail.id
        by_outcome.setdefault(",".join(sorted(values)), []).append(values)  # same columns
        outcomes.append(outcome)
    for rows in by_outcome.values():
        session.execute(_RECORD, rows)
    return outcomes


def _result_values(
    mail: _Claimed, result: DeliveryResult, smtp: SmtpSettings, now: datetime, changed_at: datetime
) -> tuple[dict[str, Any], str]:
    """The row's new column values for one delivery result, and its outcome (logged here)."""
    reply = redact(result.reply)[:2000]
    values: dict[str, Any] = {
        "smtp_code": result.code,
        "smtp_reply": reply,
        "updated_at": changed_at,
    }
    if result.outcome == Outcome.SENT:
        target, outcome = OutboxState.SENT, "sent"
        values.update(sent_at=now, last_error="")
    elif result.outcome == Outcome.RETRY and result.misconfigured:
        # mailflow's configuration is at fault, not the mail: the attempt does not count,
        # so the mail never fails for it.
        target, outcome = OutboxState.QUEUED, "retry"
        values.update(
            next_attempt_at=now + backoff(1, smtp.retry_base_s),
            last_error=reply,
            attempts=mail.attempts - 1,
        )
    elif result.outcome == Outcome.RETRY and mail.attempts < smtp.max_attempts:
        target, outcome = OutboxState.QUEUED, "retry"
        values.update(
            next_attempt_at=now + backoff(mail.attempts, smtp.retry_base_s), last_error=reply
        )
    else:
        target, outcome = OutboxState.FAILED, "failed"
        values.update(last_error=reply)
    check(mail.message_id, OutboxState.SENDING, target)
    values["state"] = target.value
    log.info(
        "outbox %s to %s: %s (%s %s)",
        mail.message_id,
        mail.recipient,
        outcome,
        result.code or "-",
        reply[:200],
    )
    return values, outcome
