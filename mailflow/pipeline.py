"""The order of work: fetch, prepare, record, process, commit, then act on the mailbox and send.

This is the only module that knows the stages' order. `run_once` is one poll: it reads the mailbox
above the ledger's cursor in chunks. The pure stages of a chunk (`mailflow.reading.prepare`: parse,
classify, read, understand) need no ledger and run first, in worker processes for a large poll,
while the previous chunk is recorded. Then, in **one transaction** per chunk, it records every new
message (exact bytes), runs the later stages on it (`mailflow.intake`: a message that breaks a stage
is still recorded, with its error, and never blocks the rest) and advances the cursor. The chunk's
transaction starts by locking the cursor row, so two pollers of one mailbox (two `serve` processes
on one PostgreSQL ledger) take turns per chunk and the later one finds the messages recorded. Only
after that commit are messages moved on the server, and only committed outbox rows are ever sent
(`mailflow.answering.outbox` claims them with ``SKIP LOCKED``). A crash at any instant therefore
leaves either the whole chunk (messages, submissions, queued confirmations, cursor) or none of it:
no gap and no duplicate. What happens to one message lives in `mailflow.intake`; delivery in
`mailflow.answering.outbox`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from mailflow import collector
from mailflow.answering.outbox import Delivery
from mailflow.config import Settings
from mailflow.errors import LedgerError, LedgerRefusedError
from mailflow.ledger import (
    Ledger,
    PendingRows,
    RecordedIndex,
    cursor_for,
    get_or_create,
    known_keys,
    record_inbound,
    sync_campaign,
)
from mailflow.ledger.models import InboundMessage, ServiceEvent
from mailflow.ledger.tokens import credentials_for
from mailflow.redact import redact
from mailflow.sources import FetchedMessage, Source, open_source
from mailflow.sources.base import source_key
from mailflow.states import InboundState

if TYPE_CHECKING:
    from mailflow.intake import Context
    from mailflow.reading.prepare import Prepared, Preparer

log = logging.getLogger(__name__)

#: A fetched chunk and its messages' pure stages (under way in worker processes).
Chunk = tuple[list[FetchedMessage], "Iterator[Prepared]"]
#: Called with (messages done, messages to do) as a poll progresses.
Progress = Callable[[int, int], None]


@dataclass
class PollSummary:
    """What one poll did, for the CLI's summary line and the service's log."""

    new: int = 0
    already_recorded: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    failed: int = 0
    confirmations_queued: int = 0
    delivery: Delivery = field(default_factory=Delivery)

    def add(self, other: PollSummary) -> None:
        """Count ``other``'s messages in this summary too."""
        self.new += other.new
        self.already_recorded += other.already_recorded
        self.kinds.update(other.kinds)
        self.statuses.update(other.statuses)
        self.failed += other.failed
        self.confirmations_queued += other.confirmations_queued

    def as_dict(self) -> dict[str, object]:
        """The JSON of `poll --json`."""
        return {
            "new": self.new,
            "already_recorded": self.already_recorded,
            "kinds": dict(sorted(self.kinds.items())),
            "submissions": dict(sorted(self.statuses.items())),
            "failed": self.failed,
            "confirmations_queued": self.confirmations_queued,
            "outbox": dict(sorted(self.delivery.items())),
        }

    def line(self) -> str:
        parts = [f"{self.new} new, {self.already_recorded} already recorded"]
        if self.kinds:
            parts.append(", ".join(f"{n} {k}" for k, n in sorted(self.kinds.items())))
        if self.statuses:
            parts.append(
                "submissions: " + ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items()))
            )
        if self.failed:
            parts.append(f"{self.failed} failed to process (recorded; see `mailflow status`)")
        if self.confirmations_queued:
            parts.append(f"{self.confirmations_queued} confirmation(s) queued")
        if self.delivery:
            parts.append(
                "outbox: " + ", ".join(f"{n} {s}" for s, n in sorted(self.delivery.items()))
            )
        return "; ".join(parts)


def run_once(
    settings: Settings,
    ledger: Ledger,
    *,
    send: bool = True,
    source: Source | None = None,
    progress: Progress | None = None,
) -> PollSummary:
    """One pass over the mailbox: record and process new mail, then deliver the outbox."""
    # the stages import heavy libraries; load them on use
    from mailflow import intake
    from mailflow.reading import prepare

    summary = PollSummary()
    with ledger.transaction() as session:
        sync_campaign(session, settings.campaign)
    chunk_size = settings.imap.chunk_size
    if source is None:
        source = open_source(settings.imap, credentials_for(settings, ledger, "imap"))
    with source as mailbox:
        uidvalidity = mailbox.uidvalidity()
        with ledger.transaction() as session:
            after = cursor_for(session, mailbox.account, mailbox.folder, uidvalidity).last_uid
            keys = mailbox.new_keys(after)
            full = {source_key(uidvalidity, key, uses_uids=mailbox.uses_uids): key for key in keys}
            seen = known_keys(session, mailbox.account, mailbox.folder, list(full))
        todo = [key for full_key, key in full.items() if full_key not in seen]
        summary.already_recorded += len(keys) - len(todo)
        if todo:
            with ledger.transaction() as session:
                context = intake.Context.load(session, settings)
            workers = settings.imap.workers
            with (
                collector.for_a_poll(),
                prepare.Preparer(context.known, workers=workers, expected=len(todo)) as pure,
            ):
                done = 0
                for batch, prepared in _one_ahead(mailbox.fetch(todo, chunk_size), pure):
                    _record_chunk(
                        ledger, mailbox, uidvalidity, batch, list(prepared), context, summary
                    )
                    mailbox.mark_processed([fetched.key for fetched in batch])
                    done += len(batch)
                    if progress:
                        progress(done, len(todo))
    with ledger.transaction() as session:
        _note(session, "last_poll", summary.line())
    if send:
        from mailflow.answering import outbox

        summary.delivery = outbox.flush(settings, ledger)
    return summary


def _one_ahead(batches: Iterator[list[FetchedMessage]], pure: Preparer) -> Iterator[Chunk]:
    """Each fetched chunk with its pure stages, yielded once the next chunk has been fetched and
    its pure stages started (in worker processes, for a large poll): they then run while the
    caller records this one. Should fetching fail, the chunk in hand is still yielded first."""
    ahead: Chunk | None = None
    while True:
        try:
            batch = next(batches, None)
        except Exception:
            if ahead is not None:
                yield ahead
            raise
        started = (batch, pure.start([fetched.raw for fetched in batch])) if batch else None
        if ahead is not None:
            yield ahead
        if started is None:
            return
        ahead = started


def _record_chunk(
    ledger: Ledger,
    mailbox: Source,
    uidvalidity: int,
    batch: Sequence[FetchedMessage],
    prepared: Sequence[Prepared],
    context: Context,
    summary: PollSummary,
) -> None:
    """Record and process one chunk in one transaction, and move the cursor past it.

    The chunk's rows are first written together (`PendingRows`). Should the database refuse
    that batch, the chunk is written again with each message in a savepoint of its own, so
    whatever row it refuses costs only its own message (recorded as failed).
    """
    try:
        part = _write_chunk(ledger, mailbox, uidvalidity, batch, prepared, context, False)
    except Exception as exc:
        if isinstance(exc, LedgerError) and not isinstance(exc, LedgerRefusedError):
            raise  # the ledger itself (locked, unreachable): nothing to gain by writing again
        log.warning(
            "a chunk of %d messages could not be written at once (%s: %s); "
            "writing it message by message",
            len(batch),
            exc.__class__.__name__,
            exc,
        )
        part = _write_chunk(ledger, mailbox, uidvalidity, batch, prepared, context, True)
    summary.add(part)


def _write_chunk(
    ledger: Ledger,
    mailbox: Source,
    uidvalidity: int,
    batch: Sequence[FetchedMessage],
    prepared: Sequence[Prepared],
    context: Context,
    isolated: bool,
) -> PollSummary:
    from mailflow import intake

    summary = PollSummary()
    with ledger.transaction() as session:
        # Locked first: a second poller of this mailbox waits here until this chunk is
        # committed, then finds its messages recorded (`record_inbound`) instead of failing on,
        # or duplicating, them.
        cursor = cursor_for(session, mailbox.account, mailbox.folder, uidvalidity, lock=True)
        context.prime(session, prepared, now=datetime.now(UTC))
        recorded = RecordedIndex(session, [fetched.raw for fetched in batch])
        pending = None if isolated else PendingRows()
        new: list[tuple[FetchedMessage, InboundMessage, Prepared]] = []
        for fetched, found in zip(batch, prepared, strict=True):
            result = record_inbound(
                session,
                fetched,
                account=mailbox.account,
                folder=mailbox.folder,
                uidvalidity=uidvalidity,
                message_id=found.message_id,
                sender=found.sender,
                subject=found.subject,
                recorded=recorded,
                pending=pending,
            )
            if fetched.uid is not None and fetched.uid > cursor.last_uid:
                cursor.last_uid = fetched.uid
            if result.new:
                new.append((fetched, result.message, found))
            else:
                summary.already_recorded += 1
        for fetched, inbound, found in new:
            summary.new += 1
            outcome = intake.process(session, inbound, found, context, pending=pending)
            summary.kinds[inbound.kind] += 1
            if inbound.state == InboundState.FAILED:
                summary.failed += 1
            if outcome.status:
                summary.statuses[outcome.status] += 1
            summary.confirmations_queued += outcome.confirmations_queued
            identity = inbound.message_id or f"sha256:{inbound.sha256[:12]}"
            result_word = outcome.status or inbound.state
            log.info(
                "recorded %s uid=%s kind=%s outcome=%s",
                identity,
                fetched.uid,
                inbound.kind,
                result_word,
                extra={
                    "message_id": identity,
                    "uid": fetched.uid,
                    "kind": inbound.kind,
                    "outcome": result_word,
                },
            )
        if pending is not None:
            pending.write(session)
        # Commit point: a crash before it leaves this whole chunk unrecorded (it is fetched
        # again); after it, the chunk is recorded and the cursor is past it.
    return summary


def note_error(ledger: Ledger, error: BaseException) -> None:
    """Remember the last error for `status` (best effort: the ledger may be what failed)."""
    try:
        with ledger.transaction() as session:
            _note(session, "last_error", redact(f"{error.__class__.__name__}: {error}")[:2000])
    except Exception:
        log.debug("could not record the last error", exc_info=True)


def _note(session: object, name: str, detail: str) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    query = select(ServiceEvent).where(ServiceEvent.name == name)
    event = get_or_create(session, query, lambda: ServiceEvent(name=name, detail=detail))
    event.detail = detail
    event.at = datetime.now(UTC)
