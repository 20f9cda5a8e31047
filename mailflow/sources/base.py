"""The mail-source interface shared by the IMAP and Maildir sources.

A source yields batches of `FetchedMessage` (exact raw bytes plus where they came from) above a
cursor, and can move handled messages once the ledger has committed them. It does not parse,
record or judge anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

#: A chunk of fetched mail holds at most this many bytes (one larger message goes alone), so
#: memory stays bounded by the chunk, not by how big members' mails are.
MAX_CHUNK_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class FetchedMessage:
    """One message as the server holds it: the exact bytes and their location."""

    uid: int | None  # IMAP UID; None for a Maildir file (or a server that gave none)
    key: str  # the IMAP UID or the Maildir name (`source_key` makes the ledger's key of it)
    raw: bytes
    internal_date: datetime | None  # server arrival time (IMAP INTERNALDATE, Maildir mtime)


_DIGITS = re.compile(r"(\d+)")
_NEVER = datetime.max.replace(tzinfo=UTC)


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """``text`` split into runs, digit runs compared as numbers: ``M999`` before ``M1000``."""
    return tuple((0, int(run)) if run.isdigit() else (1, run) for run in _DIGITS.split(text) if run)


def in_arrival_order(messages: Iterable[FetchedMessage]) -> list[FetchedMessage]:
    """``messages`` ordered as they arrived: by the server's arrival time, then by UID, then by
    key with its numbers compared as numbers; never by the text of a key."""
    return sorted(
        messages,
        key=lambda m: (
            m.internal_date or _NEVER,
            m.uid if m.uid is not None else -1,
            natural_key(m.key),
        ),
    )


def source_key(uidvalidity: int, key: str, *, uses_uids: bool) -> str:
    """The ledger's ``source_key`` for a key a source listed: an IMAP UID is only unique within
    its UIDVALIDITY, so it is stored as ``"<uidvalidity>:<uid>"``; a Maildir name as it is."""
    return f"{uidvalidity}:{key}" if uses_uids else key


class Source(Protocol):
    """What the pipeline needs from a mailbox."""

    account: str
    folder: str
    uses_uids: bool  # keys are IMAP UIDs (valid within one UIDVALIDITY), not stable names

    def __enter__(self) -> Source: ...

    def __exit__(self, *exc: object) -> None: ...

    def uidvalidity(self) -> int:
        """The folder's UIDVALIDITY (0 for sources without one)."""
        ...

    def new_keys(self, after_uid: int) -> list[str]:
        """Keys of the messages that may be new: IMAP UIDs above the cursor; every Maildir file.

        The pipeline still drops keys the ledger already holds, so a source may over-report.
        """
        ...

    def fetch(self, keys: Sequence[str], chunk_size: int) -> Iterator[list[FetchedMessage]]:
        """The messages with these keys, in batches of at most ``chunk_size`` messages and
        `MAX_CHUNK_BYTES` bytes."""
        ...

    def mark_processed(self, keys: Sequence[str]) -> None:
        """Move handled messages aside (optional per source); called only after a commit."""
        ...
