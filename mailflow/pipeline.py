"""The order of work: fetch, record, process, commit, then act on the mailbox and send.

This is the only module that knows the stages' order. `run_once` is one poll: it reads the
mailbox above the ledger's cursor in chunks; for each chunk, in **one transaction**, it records
every new message (exact bytes), runs the later stages on it inside a savepoint (so a message that
breaks a stage is still recorded, with its error, and never blocks the rest) and advances the
cursor. The chunk's transaction starts by locking the cursor row, so two pollers of one mailbox
(two `serve` processes on one PostgreSQL ledger) take turns per chunk and the later one finds the
messages recorded. Only after that commit are messages moved on the server, and only committed
outbox rows are ever sent (`mailflow.outbox` claims them with ``SKIP LOCKED``). A crash at any
instant therefore leaves either the whole chunk (messages, submissions, queued confirmations,
cursor) or none of it: no gap and no duplicate.
What happens to one message lives in `mailflow.processing`; delivery in `mailflow.outbox`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from mailflow import headers
from mailflow.config import Settings
from mailflow.ledger.models import InboundState, ServiceEvent
from mailflow.ledger.store import (
    Ledger,
    cursor_for,
    get_or_create,
    known_keys,
    record_inbound,
    sync_campaign,
)
from mailflow.sources import Source, open_source

log = logging.getLogger(__name__)

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
    delivery: dict[str, int] = field(default_factory=dict)

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
    from mailflow import processing  # the stages import heavy libraries; load them on use

    summary = PollSummary()
    with ledger.transaction() as session:
        sync_campaign(session, settings.campaign)
    chunk_size = settings.imap.chunk_size
    own = source if source is not None else open_source(settings.imap)
    with own as mailbox:
        uidvalidity = mailbox.uidvalidity()
        with ledger.transaction() as session:
            after = cursor_for(session, mailbox.account, mailbox.folder, uidvalidity).last_uid
            keys = mailbox.new_keys(after)
            full = {_full_key(uidvalidity, key, mailbox): key for key in keys}
            seen = known_keys(session, mailbox.account, mailbox.folder, list(full))
        todo = [key for full_key, key in full.items() if full_key not in seen]
        summary.already_recorded += len(keys) - len(todo)
        done = 0
        context = None
        for batch in mailbox.fetch(todo, chunk_size):
            moved: list[str] = []
            with ledger.transaction() as session:
                # Locked first: a second poller of this mailbox waits here until this chunk is
                # committed, then finds its messages recorded (`record_inbound`) instead of
                # failing on, or duplicating, them.
                cursor = cursor_for(
                    session, mailbox.account, mailbox.folder, uidvalidity, lock=True
                )
                if context is None:
                    context = processing.Context.load(session, settings)
                for fetched in batch:
                    message = headers.parse(fetched.raw)
                    result = record_inbound(
                        session,
                        fetched,
                        account=mailbox.account,
                        folder=mailbox.folder,
                        uidvalidity=uidvalidity,
                        message_id=headers.message_id(message),
                        sender=headers.sender(message)[1],
                        subject=headers.header(message, "Subject"),
                    )
                    if fetched.uid is not None and fetched.uid > cursor.last_uid:
                        cursor.last_uid = fetched.uid
                    moved.append(fetched.key)
                    if not result.new:
                        summary.already_recorded += 1
                        continue
                    summary.new += 1
                    outcome = processing.process(session, result.message, message, context)
                    summary.kinds[result.message.kind] += 1
                    if result.message.state == InboundState.FAILED:
                        summary.failed += 1
                    if outcome.status:
                        summary.statuses[outcome.status] += 1
                    summary.confirmations_queued += outcome.confirmations_queued
                    identity = result.message.message_id or f"sha256:{result.message.sha256[:12]}"
                    result_word = outcome.status or result.message.state
                    log.info(
                        "recorded %s uid=%s kind=%s outcome=%s",
                        identity,
                        fetched.uid,
                        result.message.kind,
                        result_word,
                        extra={
                            "message_id": identity,
                            "uid": fetched.uid,
                            "kind": result.message.kind,
                            "outcome": result_word,
                        },
                    )
                # Commit point: a crash before it leaves this whole chunk unrecorded (it is
                # fetched again); after it, the chunk is recorded and the cursor is past it.
            mailbox.mark_processed(moved)
            done += len(batch)
            if progress:
                progress(done, len(todo))
    with ledger.transaction() as session:
        _note(session, "last_poll", summary.line())
    if send:
        from mailflow import outbox

        summary.delivery = outbox.flush(settings, ledger)
    return summary


def note_error(ledger: Ledger, error: BaseException) -> None:
    """Remember the last error for `status` (best effort: the ledger may be what failed)."""
    try:
        with ledger.transaction() as session:
            _note(session, "last_error", f"{error.__class__.__name__}: {error}"[:2000])
    except Exception:
        log.debug("could not record the last error", exc_info=True)


def _note(session: object, name: str, detail: str) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    query = select(ServiceEvent).where(ServiceEvent.name == name)
    event = get_or_create(session, query, lambda: ServiceEvent(name=name, detail=detail))
    event.detail = detail
    event.at = datetime.now(UTC)


def _full_key(uidvalidity: int, key: str, source: Source) -> str:
    """The ledger's ``source_key`` for a key the source listed (as `record_inbound` stores it)."""
    return f"{uidvalidity}:{key}" if source.uses_uids else key
