"""The ledger: migrations match the models; SQLite pragmas; idempotent recording."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from mailflow.config import Settings
from mailflow.errors import LedgerError
from mailflow.ledger import Ledger
from mailflow.ledger.models import Base, InboundMessage
from mailflow.ledger.store import HEAD_REVISION, record_inbound
from mailflow.sources.base import FetchedMessage


def test_upgrade_to_head_matches_models(ledger: Ledger) -> None:
    with ledger.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    assert ledger.current_revision() == ledger.head_revision()


def test_head_revision_constant_is_alembics_head(ledger: Ledger) -> None:
    assert ledger.head_revision() == HEAD_REVISION


def test_require_current_at_head_passes(ledger: Ledger) -> None:
    ledger.require_current()

    assert ledger.stored_revisions() == (HEAD_REVISION,)


def test_require_current_names_an_older_revision(settings: Settings) -> None:
    older = Ledger(settings.ledger.url)
    try:
        older.upgrade("0002")
        with pytest.raises(
            LedgerError, match=r"not up to date \(revision 0002\); run `mailflow db"
        ):
            older.require_current()
    finally:
        older.close()


def test_require_current_on_a_ledger_never_migrated_says_none(settings: Settings) -> None:
    empty = Ledger(settings.ledger.url)
    try:
        assert empty.stored_revisions() == ()
        with pytest.raises(LedgerError, match=r"not up to date \(revision none\)"):
            empty.require_current()
    finally:
        empty.close()


def test_require_current_does_not_import_alembic(ledger: Ledger) -> None:
    probe = (
        "import sys; from mailflow.ledger import Ledger; "
        f"Ledger({ledger.url!r}).require_current(); print('alembic' in sys.modules)"
    )

    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)

    assert (result.returncode, result.stdout, result.stderr) == (0, "False\n", "")


def test_sqlite_pragmas_are_set(ledger: Ledger) -> None:
    with ledger.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def _fetched(uid: int, raw: bytes) -> FetchedMessage:
    return FetchedMessage(uid=uid, key=str(uid), raw=raw, internal_date=datetime.now(UTC))


def test_record_inbound_same_bytes_new_uidvalidity_is_not_new(ledger: Ledger) -> None:
    raw = b"Message-ID: <a@x>\r\nSubject: hi\r\n\r\nbody\r\n"
    with ledger.transaction() as session:
        first = record_inbound(
            session,
            _fetched(1, raw),
            account="a",
            folder="INBOX",
            uidvalidity=1,
            message_id="<a@x>",
            sender="",
            subject="hi",
        )
        again = record_inbound(
            session,
            _fetched(7, raw),
            account="a",
            folder="INBOX",
            uidvalidity=2,
            message_id="<a@x>",
            sender="",
            subject="hi",
        )
        assert first.new is True
        assert again.new is False
        assert again.message.id == first.message.id
        assert (again.message.uidvalidity, again.message.uid) == (2, 7)
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_record_inbound_without_message_id_is_keyed_by_hash(ledger: Ledger) -> None:
    with ledger.transaction() as session:
        one = record_inbound(
            session,
            _fetched(1, b"Subject: a\r\n\r\nx\r\n"),
            account="a",
            folder="INBOX",
            uidvalidity=1,
            message_id=None,
            sender="",
            subject="",
        )
        two = record_inbound(
            session,
            _fetched(2, b"Subject: a\r\n\r\ny\r\n"),
            account="a",
            folder="INBOX",
            uidvalidity=1,
            message_id=None,
            sender="",
            subject="",
        )
        same = record_inbound(
            session,
            _fetched(3, b"Subject: a\r\n\r\nx\r\n"),
            account="a",
            folder="INBOX",
            uidvalidity=1,
            message_id=None,
            sender="",
            subject="",
        )
        assert (one.new, two.new, same.new) == (True, True, False)


def test_record_inbound_keeps_exact_bytes(ledger: Ledger) -> None:
    raw = b"Subject: =?utf-8?q?caf=C3=A9?=\n\nno CR here \xff\xfe\n"
    with ledger.transaction() as session:
        message_id = record_inbound(
            session,
            _fetched(1, raw),
            account="a",
            folder="INBOX",
            uidvalidity=1,
            message_id=None,
            sender="",
            subject="",
        ).message.id
    with ledger.transaction() as session:
        assert session.get(InboundMessage, message_id).raw == raw  # type: ignore[union-attr]
