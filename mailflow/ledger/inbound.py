"""Recording inbound mail exactly once, and the mailbox cursor.

`record_inbound` records a fetched message unless the same bytes are already in the ledger (by
location, then by Message-ID + SHA-256); `RecordedIndex` finds a chunk's possible duplicates in
one query; `known_keys` tells which listed keys are recorded already; `cursor_for` keeps the
highest UID per mailbox generation. Two processes may share one ledger: on SQLite ``BEGIN
IMMEDIATE`` makes writers take turns; on PostgreSQL `cursor_for(..., lock=True)` makes the
pollers of one mailbox take turns per chunk. The order of work is in `mailflow.pipeline`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from mailflow.ledger.bulk import PendingRows
from mailflow.ledger.models import InboundMessage, MailboxCursor
from mailflow.ledger.rows import get_or_create
from mailflow.sources.base import FetchedMessage, source_key
from mailflow.states import InboundState, MessageKind


@dataclass(frozen=True)
class RecordResult:
    message: InboundMessage
    new: bool  # False: this location or these exact bytes were already recorded


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def known_keys(session: Session, account: str, folder: str, keys: Sequence[str]) -> set[str]:
    """Which of these source keys the ledger already holds for (account, folder)."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = list(keys[start : start + 500])
        found.update(
            session.scalars(
                select(InboundMessage.source_key).where(
                    InboundMessage.account == account,
                    InboundMessage.folder == folder,
                    InboundMessage.source_key.in_(chunk),
                )
            )
        )
    return found


class RecordedIndex:
    """The recorded messages whose bytes match any of a chunk's, found in one query.

    `record_inbound` consults it instead of querying once per message, and adds what it
    records, so the same bytes twice in one chunk are still recorded once.
    """

    def __init__(self, session: Session, raws: Sequence[bytes]) -> None:
        self._by_digest: dict[str, list[InboundMessage]] = {}
        digests = list({sha256(raw) for raw in raws})
        for start in range(0, len(digests), 500):
            for row in session.scalars(
                select(InboundMessage)
                .options(defer(InboundMessage.raw))
                .where(InboundMessage.sha256.in_(digests[start : start + 500]))
                .order_by(InboundMessage.id)
            ):
                self.add(row)

    def add(self, message: InboundMessage) -> None:
        self._by_digest.setdefault(message.sha256, []).append(message)

    def find(self, digest: str, message_id: str | None) -> InboundMessage | None:
        for row in self._by_digest.get(digest, ()):
            if row.message_id == message_id:
                return row
        return None


def record_inbound(
    session: Session,
    fetched: FetchedMessage,
    *,
    account: str,
    folder: str,
    uidvalidity: int,
    message_id: str | None,
    sender: str,
    subject: str,
    recorded: RecordedIndex | None = None,
    pending: PendingRows | None = None,
) -> RecordResult:
    """Record one fetched message unless the same bytes are already in the ledger.

    A message is the same when its SHA-256 matches and its Message-ID matches (or both have
    none): that is how a rescan after a UIDVALIDITY change, or a copy in a second folder,
    is recognised. The existing row then learns its new location, so later moves find it.
    ``recorded``, when given, holds every recorded row these bytes could match (one query per
    chunk instead of one per message). With ``pending``, a new row is left to it (written at
    the end of the chunk); without, it is added to the session and flushed.
    """
    if recorded is None:
        recorded = RecordedIndex(session, [fetched.raw])
    digest = sha256(fetched.raw)
    existing = recorded.find(digest, message_id)
    key = source_key(uidvalidity, fetched.key, uses_uids=fetched.uid is not None)
    if existing is not None:
        if (existing.account, existing.folder) == (account, folder):
            existing.uidvalidity, existing.uid, existing.source_key = uidvalidity, fetched.uid, key
        return RecordResult(existing, new=False)
    message = InboundMessage(
        account=account,
        folder=folder,
        uidvalidity=uidvalidity,
        uid=fetched.uid,
        source_key=key,
        message_id=message_id,
        sha256=digest,
        size=len(fetched.raw),
        raw=fetched.raw,
        internal_date=fetched.internal_date,
        sender=sender[:320],
        subject=subject,
        kind=MessageKind.UNKNOWN.value,
        state=InboundState.RECORDED.value,
    )
    if pending is not None:
        pending.add(message)
    else:
        session.add(message)
        session.flush()
    recorded.add(message)
    return RecordResult(message, new=True)


def cursor_for(
    session: Session, account: str, folder: str, uidvalidity: int, *, lock: bool = False
) -> MailboxCursor:
    """The cursor row for this mailbox generation, created at UID 0 when new.

    With ``lock``, the row stays locked (``SELECT … FOR UPDATE``) until the transaction ends:
    two pollers of one mailbox then take turns per chunk, and the second one sees, and does not
    record again, what the first one committed. SQLite ignores the clause; its ``BEGIN
    IMMEDIATE`` already serializes writers.
    """
    query = select(MailboxCursor).where(
        MailboxCursor.account == account,
        MailboxCursor.folder == folder,
        MailboxCursor.uidvalidity == uidvalidity,
    )
    if lock:
        query = query.with_for_update()
    return get_or_create(
        session,
        query,
        lambda: MailboxCursor(account=account, folder=folder, uidvalidity=uidvalidity, last_uid=0),
    )
