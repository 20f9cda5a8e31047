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
from mailflow.errors import LedgerError, LedgerRefusedError
from mailflow.ledger import HEAD_REVISION, Ledger, PendingRows, record_inbound, sync_campaign
from mailflow.ledger.engine import HELD_CHECKPOINT_PAGES
from mailflow.ledger.models import Base, InboundMessage, OutboxMail, Submission
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


def _inbound(uid: int) -> InboundMessage:
    raw = f"Message-ID: <m{uid}@members.test>\r\n\r\nbody {uid}\r\n".encode()
    return InboundMessage(
        account="wsis@association.test",
        folder="INBOX",
        uidvalidity=7,
        uid=uid,
        source_key=f"7:{uid}",
        message_id=f"<m{uid}@members.test>",
        sha256=f"{uid:064x}",
        size=len(raw),
        raw=raw,
        sender="hoa@members.test",
    )


def test_held_values_of_a_new_row_are_what_was_assigned() -> None:
    submission = Submission(status="accepted")
    mail = OutboxMail(kind="confirmation", recipient="hoa@members.test")
    mail.submission = submission

    held = {key: value for key, value in mail.held_values().items() if key != "_sa_instance_state"}

    assert held == {
        "kind": "confirmation",
        "recipient": "hoa@members.test",
        "submission": submission,
    }
    assert mail.subject is None and "subject" not in mail.held_values()  # reading set nothing


def test_pending_rows_are_written_parents_first_with_keys_and_defaults(
    settings: Settings, ledger: Ledger
) -> None:
    received = datetime(2025, 9, 10, 8, 30, tzinfo=UTC)
    with ledger.transaction() as session:
        campaign_id = sync_campaign(session, settings.campaign).id
        first_in, second_in = _inbound(1), _inbound(2)
        common = {"campaign_id": campaign_id, "sender_address": "hoa@members.test"}
        first = Submission(inbound=first_in, status="superseded", received_at=received, **common)
        second = Submission(
            inbound=second_in,
            supersedes=first,  # of the same chunk: written once `first` has its key
            version=2,
            status="accepted",
            received_at=received,
            **common,
        )
        mail = OutboxMail(
            kind="confirmation",
            message_id="<c1@association.test>",
            sender="wsis@association.test",
            recipient="hoa@members.test",
            data=b"mail",
            submission=second,
        )
        pending = PendingRows()
        for row in (mail, second, first, second_in, first_in):  # in no particular order
            pending.add(row)
        pending.write(session)
        written = (first_in.id, second_in.id, first.id, second.id, mail.id)

    with ledger.transaction() as session:
        submissions = session.execute(
            select(Submission.id, Submission.inbound_id, Submission.supersedes_id).order_by(
                Submission.id
            )
        ).all()
        stored_in = session.get(InboundMessage, first_in.id)
        stored_mail = session.get(OutboxMail, mail.id)
        assert stored_in is not None and stored_mail is not None
        assert [tuple(row) for row in submissions] == [
            (first.id, first_in.id, None),
            (second.id, second_in.id, first.id),
        ]
        assert None not in written
        assert (stored_mail.submission_id, second.supersedes_id) == (second.id, first.id)
        assert (stored_in.kind, stored_in.state, stored_in.subject) == ("unknown", "recorded", "")
        assert stored_in.recorded_at is not None
        assert (stored_mail.state, stored_mail.attempts) == ("queued", 0)


def test_pending_rows_the_database_refuses_leave_nothing_written(ledger: Ledger) -> None:
    pending = PendingRows()
    pending.add(_inbound(1))
    pending.add(_inbound(1))  # the same mailbox location twice: a unique constraint refuses it

    with pytest.raises(LedgerRefusedError), ledger.transaction() as session:
        pending.write(session)

    with ledger.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_hold_on_sqlite_checkpoints_less_often_while_held_then_as_before(ledger: Ledger) -> None:
    def threshold(connection: object) -> int:
        driver = connection.connection.driver_connection  # type: ignore[attr-defined]
        return int(driver.execute("PRAGMA wal_autocheckpoint").fetchone()[0])

    with ledger.hold() as held:
        assert threshold(held) == HELD_CHECKPOINT_PAGES
        with ledger.connection(held) as connection:
            connection.execute(select(func.count()).select_from(OutboxMail))
        assert threshold(held) == HELD_CHECKPOINT_PAGES
    with ledger.engine.connect() as again:  # the pool hands back the same connection
        assert threshold(again) == 1000


def test_commit_row_update_writes_what_the_models_read_back(ledger: Ledger) -> None:
    with ledger.transaction() as session:
        for number in (1, 2):
            session.add(
                OutboxMail(
                    kind="confirmation",
                    message_id=f"<c{number}@association.test>",
                    sender="wsis@association.test",
                    recipient="hoa@members.test",
                    data=b"mail",
                    state="sending",
                )
            )
    at = datetime(2026, 12, 3, 18, 30, 15, 123456, tzinfo=UTC)
    table = OutboxMail.__table__
    with ledger.hold() as held:
        ledger.commit_row_update(
            held,
            table,  # type: ignore[arg-type]
            {"id": 1, "state": "sending"},
            {"state": "sent", "sent_at": at, "smtp_code": 250, "smtp_reply": "250 2.0.0 Ok"},
        )
        with pytest.raises(LedgerRefusedError):  # message_id is unique
            ledger.commit_row_update(
                held,
                table,  # type: ignore[arg-type]
                {"id": 2},
                {"message_id": "<c1@association.test>"},
            )
        ledger.commit_row_update(held, table, {"id": 2}, {"smtp_code": 421})  # type: ignore[arg-type]
    with ledger.transaction() as session:
        rows = session.execute(
            select(
                OutboxMail.state, OutboxMail.sent_at, OutboxMail.smtp_code, OutboxMail.message_id
            ).order_by(OutboxMail.id)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("sent", at, 250, "<c1@association.test>"),
        ("sending", None, 421, "<c2@association.test>"),
    ]
