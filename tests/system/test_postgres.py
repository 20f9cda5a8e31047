"""The ledger on PostgreSQL: 32-bit unsigned UIDs, racing creators, two pollers on one mailbox.

The rest of the ledger, outbox and poll tests run on both backends through `ledger_backend`
(see ``conftest.py``); this module holds what only matters once two processes or a stricter
database are involved: 300 contributions polled by two threads with their own engines, and by
two `mailflow serve` processes, are each recorded, judged, confirmed and delivered once.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted
from sqlalchemy import func, select, text
from support.servers import Mailbox
from support.settings import imap_settings
from support.smtp_server import SmtpTestServer

from mailflow import members, pipeline
from mailflow.config import Settings, SmtpSettings
from mailflow.ledger import Ledger, cursor_for, record_inbound, sync_campaign
from mailflow.ledger.models import (
    InboundMessage,
    MailboxCursor,
    OutboxMail,
    ServiceEvent,
    Submission,
)
from mailflow.sources.base import FetchedMessage

BOTH = pytest.mark.parametrize(
    "ledger_backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.servers)]
)
MAX_UID = 2**32 - 1
FOLDER = "WSIS"
MESSAGES = 300

CONTRIBUTION = """\
From: Member {n} <member{n}@library.test>
To: wsis@association.test
Subject: WSIS contribution {n}
Message-ID: <contribution-{n}@library.test>
Date: Mon, 08 Sep 2025 10:00:00 +0000

Organisation: Library {n}
Country: Sweden
Action lines: C3 Access to information and knowledge
Why: we opened {n} reading rooms in rural branches.
Outputs: our programme https://library{n}.example.org/rooms
Achievements: 1,200 people trained.
"""


def contribution(n: int) -> bytes:
    return CONTRIBUTION.format(n=n).replace("\n", "\r\n").encode()


@BOTH
def test_ledger_stores_the_largest_imap_uid_and_uidvalidity(ledger: Ledger) -> None:
    fetched = FetchedMessage(
        uid=MAX_UID, key=str(MAX_UID), raw=contribution(1), internal_date=datetime.now(UTC)
    )
    with ledger.transaction() as session:
        recorded = record_inbound(
            session,
            fetched,
            account="a",
            folder="INBOX",
            uidvalidity=MAX_UID,
            message_id="<contribution-1@library.test>",
            sender="member1@library.test",
            subject="WSIS contribution 1",
        )
        cursor_for(session, "a", "INBOX", MAX_UID).last_uid = MAX_UID
    with ledger.transaction() as session:
        stored = session.get(InboundMessage, recorded.message.id)
        assert stored is not None
        assert (stored.uidvalidity, stored.uid) == (MAX_UID, MAX_UID)
        assert session.scalars(select(MailboxCursor.last_uid)).one() == MAX_UID


@BOTH
def test_migration_0002_keeps_rows_and_widens_uids(settings: Settings) -> None:
    ledger = Ledger(settings.ledger.url)
    try:
        ledger.upgrade("0001")
        with ledger.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO mailbox_cursors (account, folder, uidvalidity, last_uid,"
                    " updated_at) VALUES ('a', 'INBOX', 7, 42, :at)"
                ),
                {"at": datetime(2026, 1, 1, tzinfo=UTC)},
            )

        ledger.upgrade()

        with ledger.transaction() as session:
            cursor = session.scalars(select(MailboxCursor)).one()
            assert (cursor.account, cursor.uidvalidity, cursor.last_uid) == ("a", 7, 42)
            cursor.last_uid = MAX_UID
        with ledger.transaction() as session:
            assert session.scalars(select(MailboxCursor.last_uid)).one() == MAX_UID
    finally:
        ledger.close()


def blocked_on_a_lock(ledger: Ledger) -> bool:
    with ledger.engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar()
    return bool(waiting)


@pytest.mark.parametrize("ledger_backend", [pytest.param("postgresql", marks=pytest.mark.servers)])
def test_cursor_created_by_two_pollers_at_once_is_one_row(
    settings: Settings, ledger: Ledger
) -> None:
    second = Ledger(settings.ledger.url)
    try:
        with ledger.transaction() as session:
            first_id = cursor_for(session, "a", "INBOX", 7).id  # inserted, not yet committed
            with ThreadPoolExecutor(max_workers=1) as pool:

                def create_too() -> int:
                    with second.transaction() as other:
                        return cursor_for(other, "a", "INBOX", 7, lock=True).id

                # The second poller found no row and now waits on the unique index.
                racing = pool.submit(create_too)
                while not blocked_on_a_lock(second) and not racing.done():
                    threading.Event().wait(0.05)
                assert not racing.done()
                session.commit()  # the first poller's chunk commits
                second_id = racing.result(timeout=30)
    finally:
        second.close()

    assert second_id == first_id
    with ledger.transaction() as session:
        assert session.scalar(select(func.count()).select_from(MailboxCursor)) == 1


@pytest.mark.parametrize("ledger_backend", [pytest.param("postgresql", marks=pytest.mark.servers)])
def test_campaign_synced_by_two_pollers_at_once_is_one_row(
    settings: Settings, ledger: Ledger
) -> None:
    second = Ledger(settings.ledger.url)
    try:
        with ledger.transaction() as session:
            first_id = sync_campaign(session, settings.campaign).id
            with ThreadPoolExecutor(max_workers=1) as pool:

                def sync_too() -> int:
                    with second.transaction() as other:
                        return sync_campaign(other, settings.campaign).id

                racing = pool.submit(sync_too)
                while not blocked_on_a_lock(second) and not racing.done():
                    threading.Event().wait(0.05)
                assert not racing.done()
                session.commit()
                second_id = racing.result(timeout=30)
    finally:
        second.close()

    assert second_id == first_id


def append(mailbox: Mailbox, messages: list[bytes]) -> None:
    with MailBoxUnencrypted("127.0.0.1", mailbox.server.imap_port).login(
        mailbox.user, mailbox.password, initial_folder=None
    ) as box:
        box.folder.create(FOLDER)
        for raw in messages:
            box.append(raw, FOLDER)


def poll_until_done(config: Settings, ledger: Ledger, start: threading.Barrier) -> Counter[str]:
    """Poll and deliver until a pass finds nothing new and nothing to send.

    Returns what this poller did over all its passes: messages it recorded as new, and its
    delivery outcomes (``sent``, ``retry``, ``failed``).
    """
    start.wait(timeout=60)
    done: Counter[str] = Counter()
    while True:
        summary = pipeline.run_once(config, ledger)
        done["new"] += summary.new
        done.update(summary.delivery)
        if summary.new == 0 and not summary.delivery:
            return done


def campaign_of_members(ledger: Ledger, mailbox: Mailbox) -> None:
    """MESSAGES members, each with one contribution waiting in the mailbox's FOLDER."""
    with ledger.transaction() as session:
        for n in range(MESSAGES):
            members.upsert(session, [f"member{n}@library.test"], name=f"Member {n}")
    append(mailbox, [contribution(n) for n in range(MESSAGES)])


def assert_each_message_recorded_and_confirmed_once(
    ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    with ledger.transaction() as session:
        recorded = Counter(session.scalars(select(InboundMessage.message_id)))
        per_inbound = Counter(session.scalars(select(Submission.inbound_id)))
        confirmations = Counter(
            session.scalars(
                select(OutboxMail.submission_id).where(OutboxMail.kind == "confirmation")
            )
        )
        states = Counter(session.scalars(select(OutboxMail.state)))
        outbox_ids = set(session.scalars(select(OutboxMail.message_id)))
    received = Counter(
        str(message_from_bytes(r.data, policy=policy.default)["Message-ID"])
        for r in smtp_server.received
    )
    assert len(recorded) == MESSAGES
    assert set(recorded.values()) == {1}
    assert len(per_inbound) == MESSAGES
    assert set(per_inbound.values()) == {1}
    assert len(confirmations) == MESSAGES
    assert set(confirmations.values()) == {1}
    assert states == {"sent": MESSAGES}  # nothing left in ``sending`` or ``queued``
    assert set(received) == outbox_ids
    assert set(received.values()) == {1}


@pytest.mark.servers
@pytest.mark.slow
@pytest.mark.parametrize("ledger_backend", ["postgresql"])
def test_two_pollers_record_and_confirm_each_message_once(
    settings: Settings,
    ledger: Ledger,
    fresh_mailbox: Mailbox,
    smtp_server: SmtpTestServer,
) -> None:
    campaign_of_members(ledger, fresh_mailbox)
    config = dataclasses.replace(
        imap_settings(settings, fresh_mailbox, folder=FOLDER, chunk_size=20),
        smtp=SmtpSettings(
            host=smtp_server.host,
            port=smtp_server.port,
            security="none",
            user="",
            from_="WSIS coordinator <wsis@association.test>",
        ),
    )
    # Two pollers as two processes would be: each with its own engine and connections.
    pollers = [Ledger(config.ledger.url), Ledger(config.ledger.url)]
    start = threading.Barrier(len(pollers))
    try:
        with ThreadPoolExecutor(max_workers=len(pollers)) as pool:
            runs = [pool.submit(poll_until_done, config, p, start) for p in pollers]
            done = [run.result(timeout=600) for run in runs]
    finally:
        for poller in pollers:
            poller.close()

    assert sum(done, Counter()) == {"new": MESSAGES, "sent": MESSAGES}
    assert_each_message_recorded_and_confirmed_once(ledger, smtp_server)


def sent_confirmations(ledger: Ledger) -> int:
    with ledger.transaction() as session:
        return (
            session.scalar(
                select(func.count()).select_from(OutboxMail).where(OutboxMail.state == "sent")
            )
            or 0
        )


@pytest.mark.servers
@pytest.mark.slow
@pytest.mark.parametrize("ledger_backend", ["postgresql"])
def test_two_serve_processes_record_and_confirm_each_message_once(
    settings: Settings,
    ledger: Ledger,
    fresh_mailbox: Mailbox,
    smtp_server: SmtpTestServer,
    tmp_path: Path,
) -> None:
    campaign_of_members(ledger, fresh_mailbox)
    config = tmp_path / "mailflow.toml"
    config.write_text(
        f'[ledger]\nurl = "{settings.ledger.url}"\n'
        f'[imap]\nhost = "127.0.0.1"\nport = {fresh_mailbox.server.imap_port}\n'
        f'security = "none"\nuser = "{fresh_mailbox.user}"\nfolder = "{FOLDER}"\n'
        f"chunk_size = 20\n"
        f'[smtp]\nhost = "{smtp_server.host}"\nport = {smtp_server.port}\nsecurity = "none"\n'
        f'user = ""\nfrom = "WSIS coordinator <wsis@association.test>"\n'
        f'[campaign]\ndeadline = "2099-09-30T23:59:59+07:00"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    env["MAILFLOW_IMAP_PASSWORD"] = fresh_mailbox.password
    logs = [tmp_path / f"serve-{n}.log" for n in range(2)]
    processes = []
    for log in logs:
        with log.open("wb") as output:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "mailflow.cli", "--config", str(config), "serve"],
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            )
    try:
        deadline = time.monotonic() + 500
        while sent_confirmations(ledger) < MESSAGES and time.monotonic() < deadline:
            if any(p.poll() is not None for p in processes):
                break
            threading.Event().wait(0.5)
        assert [p.poll() for p in processes] == [None, None], "a serve process ended early"
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=60) for process in processes]
    tails = "\n".join(log.read_text(errors="replace")[-3000:] for log in logs)

    assert codes == [0, 0], tails
    assert_each_message_recorded_and_confirmed_once(ledger, smtp_server)
    with ledger.transaction() as session:  # and no pass failed on the other's work
        error = select(ServiceEvent.detail).where(ServiceEvent.name == "last_error")
        assert session.scalar(error) is None
