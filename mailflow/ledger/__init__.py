"""The ledger, mailflow's one database, and the writes everything else builds on.

`models` holds the tables; `engine` opens, migrates and runs transactions (and maps every
database error to `LedgerError`); `inbound` records fetched mail exactly once and keeps the
mailbox cursor; `bulk` inserts a chunk's new rows together; `rows` creates rows two processes
may race for. Import these names from here. Queries for the CLI's views live in
`mailflow.views`; the order of work in `mailflow.pipeline`.
"""

from mailflow.ledger.bulk import PendingRows
from mailflow.ledger.engine import (
    HEAD_REVISION,
    Ledger,
    database_error,
    database_errors,
    require_ledger_file,
)
from mailflow.ledger.inbound import (
    RecordedIndex,
    RecordResult,
    cursor_for,
    known_keys,
    record_inbound,
    sha256,
)
from mailflow.ledger.rows import get_or_create, sync_campaign

__all__ = [
    "HEAD_REVISION",
    "Ledger",
    "PendingRows",
    "RecordResult",
    "RecordedIndex",
    "cursor_for",
    "database_error",
    "database_errors",
    "get_or_create",
    "known_keys",
    "record_inbound",
    "require_ledger_file",
    "sha256",
    "sync_campaign",
]
