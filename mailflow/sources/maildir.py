"""A local Maildir folder as a mail source (the demo's sample mailbox, or a server's spool).

Messages are keyed by the unique part of their Maildir file name, so a file moved from ``new/``
to ``cur/`` or given flags keeps its key. They are read in the order they arrived: by the name's
time field, then its microseconds (``M``) field, then the rest of the name with every number
compared as a number (``…M999…`` before ``…M1000…``), never in the names' text order; a later
version of a member's contribution must come after the earlier one. Arrival time recorded in the
ledger is the file's modification time. This source
only reads: it never moves, flags or deletes a file (``mark_processed`` does nothing).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from mailflow.errors import SourceError
from mailflow.sources.base import MAX_CHUNK_BYTES, FetchedMessage, natural_key

_MICROSECONDS = re.compile(r"M(\d+)")


def arrival_key(name: str) -> tuple[int, int, tuple[tuple[int, int | str], ...]]:
    """Sort key of a Maildir name (``<seconds>.<M usec, P pid, Q count…>.<host>``) by arrival.

    Names that do not follow the convention sort after those that do, by their numbers.
    """
    seconds, _, rest = name.partition(".")
    unique = rest.partition(".")[0]
    usec = _MICROSECONDS.search(unique)
    if not seconds.isdigit():
        return (2**63, 0, natural_key(name))
    return (int(seconds), int(usec.group(1)) if usec else 0, natural_key(rest))


class MaildirSource:
    """Reads ``new/`` and ``cur/`` of one Maildir; the folder name in the ledger is ``maildir``."""

    folder = "maildir"
    uses_uids = False

    def __init__(self, path: str | os.PathLike[str], *, account: str | None = None) -> None:
        self.path = Path(path)
        self.account = account or f"maildir:{self.path}"
        self._files: dict[str, Path] = {}

    def __enter__(self) -> MaildirSource:
        if not (self.path / "cur").is_dir() and not (self.path / "new").is_dir():
            raise SourceError(f"{self.path}: not a Maildir (no cur/ or new/)", retryable=False)
        return self

    def __exit__(self, *exc: object) -> None:
        self._files.clear()

    def uidvalidity(self) -> int:
        return 0

    def new_keys(self, after_uid: int) -> list[str]:
        self._files = {}
        for sub in ("new", "cur"):
            folder = self.path / sub
            if not folder.is_dir():
                continue
            try:
                for entry in os.scandir(folder):
                    if entry.is_file() and not entry.name.startswith("."):
                        self._files[entry.name.split(":", 1)[0]] = Path(entry.path)
            except OSError as exc:
                raise SourceError(f"{folder}: cannot be listed: {exc.strerror}") from None
        return sorted(self._files, key=arrival_key)

    def fetch(
        self, keys: Sequence[str], chunk_size: int, *, max_bytes: int = MAX_CHUNK_BYTES
    ) -> Iterator[list[FetchedMessage]]:
        batch: list[FetchedMessage] = []
        held = 0
        for key in keys:
            path = self._files.get(key)
            if path is None:
                continue
            try:
                size = path.stat().st_size
                if batch and held + size > max_bytes:
                    yield batch
                    batch, held = [], 0
                raw = path.read_bytes()
                mtime = path.stat().st_mtime
            except FileNotFoundError:  # moved between listing and reading: next poll sees it
                continue
            except OSError as exc:
                raise SourceError(f"{path}: cannot be read: {exc.strerror}") from None
            batch.append(
                FetchedMessage(
                    uid=None, key=key, raw=raw, internal_date=datetime.fromtimestamp(mtime, UTC)
                )
            )
            held += len(raw)
            if len(batch) >= chunk_size:
                yield batch
                batch, held = [], 0
        if batch:
            yield batch

    def mark_processed(self, keys: Sequence[str]) -> None:
        """A Maildir source leaves its files where they are."""
