"""`mailflow poll` against a real Dovecot: every message recorded once, with its exact bytes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted
from sqlalchemy import func, select
from support import CORPUS
from support.servers import Mailbox
from support.settings import imap_settings

from mailflow import pipeline
from mailflow.config import Secret, Settings
from mailflow.errors import SourceError
from mailflow.ledger import Ledger
from mailflow.ledger.models import InboundMessage, MailboxCursor

pytestmark = pytest.mark.servers

FOLDER = "WSIS"


def crlf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def sample(n: int) -> bytes:
    return crlf(
        f"From: Member {n} <member{n}@library.test>\nTo: wsis@association.test\n"
        f"Subject: WSIS contribution {n}\nMessage-ID: <contrib-{n}@library.test>\n"
        f"Date: Mon, 08 Sep 2025 10:00:00 +0000\n\n"
        f"Action lines: C3\nWhy: we opened {n} reading rooms.\n".encode()
    )


def append(mailbox: Mailbox, messages: list[bytes], folder: str = FOLDER) -> None:
    with MailBoxUnencrypted("127.0.0.1", mailbox.server.imap_port).login(
        mailbox.user, mailbox.password, initial_folder=None
    ) as box:
        if not box.folder.exists(folder):
            box.folder.create(folder)
        for raw in messages:
            box.append(raw, folder)


def recreate_folder(mailbox: Mailbox, folder: str = FOLDER) -> None:
    with MailBoxUnencrypted("127.0.0.1", mailbox.server.imap_port).login(
        mailbox.user, mailbox.password, initial_folder=None
    ) as box:
        box.folder.delete(folder)
        box.folder.create(folder)


def stored(ledger: Ledger) -> list[bytes]:
    with ledger.transaction() as session:
        return list(session.scalars(select(InboundMessage.raw).order_by(InboundMessage.uid)))


def corpus_sample(limit: int) -> list[bytes]:
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in {".md", ".csv"})
    return [crlf(p.read_bytes()) for p in files[:limit]]


def test_poll_records_every_message_once_with_exact_bytes(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox
) -> None:
    messages = [sample(n) for n in range(5)] + corpus_sample(20)
    append(fresh_mailbox, messages)
    config = imap_settings(settings, fresh_mailbox, folder=FOLDER)

    summary = pipeline.run_once(config, ledger, send=False)

    assert (summary.new, summary.already_recorded) == (len(messages), 0)
    assert stored(ledger) == messages


def test_poll_twice_records_nothing_new(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox
) -> None:
    append(fresh_mailbox, [sample(n) for n in range(3)])
    config = imap_settings(settings, fresh_mailbox, folder=FOLDER)
    pipeline.run_once(config, ledger, send=False)

    again = pipeline.run_once(config, ledger, send=False)

    assert (again.new, again.already_recorded) == (0, 0)
    assert len(stored(ledger)) == 3


def test_poll_after_uidvalidity_change_records_no_duplicate(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox
) -> None:
    messages = [sample(n) for n in range(4)]
    append(fresh_mailbox, messages)
    config = imap_settings(settings, fresh_mailbox, folder=FOLDER)
    pipeline.run_once(config, ledger, send=False)
    recreate_folder(fresh_mailbox)
    append(fresh_mailbox, [*messages, sample(99)])

    summary = pipeline.run_once(config, ledger, send=False)

    assert (summary.new, summary.already_recorded) == (1, 4)
    with ledger.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 5
        assert session.scalar(select(func.count()).select_from(MailboxCursor)) == 2


def test_poll_ingests_a_thousand_messages_in_chunks(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox
) -> None:
    append(fresh_mailbox, [sample(n) for n in range(1000)])
    config = imap_settings(settings, fresh_mailbox, folder=FOLDER, chunk_size=150)
    chunks: list[int] = []

    summary = pipeline.run_once(config, ledger, send=False, progress=lambda d, t: chunks.append(d))

    assert summary.new == 1000
    assert chunks == [150, 300, 450, 600, 750, 900, 1000]
    assert len(set(stored(ledger))) == 1000


def test_poll_moves_to_processed_folder_after_commit(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox
) -> None:
    append(fresh_mailbox, [sample(n) for n in range(3)])
    config = imap_settings(settings, fresh_mailbox, folder=FOLDER, processed_folder="Done")

    pipeline.run_once(config, ledger, send=False)

    with MailBoxUnencrypted("127.0.0.1", fresh_mailbox.server.imap_port).login(
        fresh_mailbox.user, fresh_mailbox.password, initial_folder="Done"
    ) as box:
        assert len(box.uids()) == 3
        box.folder.set(FOLDER)
        assert box.uids() == []
    assert len(stored(ledger)) == 3


def test_poll_does_not_mark_messages_seen(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox
) -> None:
    append(fresh_mailbox, [sample(1)])
    pipeline.run_once(imap_settings(settings, fresh_mailbox, folder=FOLDER), ledger, send=False)
    with MailBoxUnencrypted("127.0.0.1", fresh_mailbox.server.imap_port).login(
        fresh_mailbox.user, fresh_mailbox.password, initial_folder=FOLDER
    ) as box:
        assert box.uids("SEEN") == []


def test_poll_wrong_password_is_a_clear_error(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox
) -> None:
    config = imap_settings(settings, fresh_mailbox, password=Secret("wrong-one"))
    with pytest.raises(SourceError, match="login refused") as caught:
        pipeline.run_once(config, ledger, send=False)
    assert "wrong-one" not in str(caught.value)


def test_poll_closed_port_is_a_retryable_error(settings: Settings, ledger: Ledger) -> None:
    config = dataclasses.replace(
        settings,
        imap=dataclasses.replace(
            settings.imap, maildir="", host="127.0.0.1", port=1, security="none"
        ),
    )
    with pytest.raises(SourceError, match="cannot connect") as caught:
        pipeline.run_once(config, ledger, send=False)
    assert caught.value.retryable is True


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not on this machine")
def test_poll_corpus_through_maildir_records_all(settings: Settings, ledger: Ledger) -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in {".md", ".csv"})
    maildir = Path(settings.imap.maildir)
    for n, path in enumerate(files):
        (maildir / "new" / f"{n:04d}.corpus.test").write_bytes(path.read_bytes())

    summary = pipeline.run_once(settings, ledger, send=False)

    assert len(files) == 396
    distinct = len({p.read_bytes() for p in files})
    assert summary.new + summary.already_recorded == 396
    assert summary.new == distinct
    with ledger.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == distinct
        states = dict(
            session.execute(
                select(InboundMessage.state, func.count()).group_by(InboundMessage.state)
            ).all()
        )
    assert states == {"processed": distinct}
