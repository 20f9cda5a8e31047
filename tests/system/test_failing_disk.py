"""SQLite under a failing disk: a clear error for what Python can catch, a traceback for the rest,
and nothing committed lost either way."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from support.imap_echo import EchoingImapServer

from mailflow import pipeline
from mailflow.config import Settings
from mailflow.errors import LedgerError
from mailflow.ledger import Ledger
from mailflow.ledger.models import InboundMessage

MESSAGES = 40


def deliver(settings: Settings) -> None:
    for n in range(MESSAGES):
        raw = (
            f"From: stranger{n}@members.test\r\nTo: wsis@association.test\r\n"
            f"Subject: WSIS {n}\r\nMessage-ID: <disk-{n}@members.test>\r\n\r\n"
            + "Why: we lend e-readers in many villages. "
            * 200
        )
        name = f"1700000000.M{n}P1Q{n}.host"
        (Path(settings.imap.maildir) / "new" / name).write_bytes(raw.encode())


def recorded(ledger: Ledger) -> int:
    with ledger.transaction() as session:
        return session.scalar(select(func.count()).select_from(InboundMessage)) or 0


def test_poll_on_a_full_disk_says_so_and_the_next_poll_recovers(
    settings: Settings, ledger: Ledger
) -> None:
    deliver(settings)
    small = with_chunks(settings, 5)
    with ledger.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar()

    def full_disk(dbapi_connection: object, _record: object) -> None:
        # The database may not grow past a few pages more: SQLite's "disk is full".
        dbapi_connection.execute(f"PRAGMA max_page_count = {int(pages) + 12}")  # type: ignore[attr-defined]

    event.listen(ledger.engine, "connect", full_disk)
    ledger.engine.dispose()
    with pytest.raises(LedgerError) as caught:
        pipeline.run_once(small, ledger, send=False)
    event.remove(ledger.engine, "connect", full_disk)
    ledger.engine.dispose()
    kept = recorded(ledger)

    summary = pipeline.run_once(small, ledger, send=False)

    assert str(caught.value) == (
        "the ledger's disk failed (database or disk is full); nothing committed is lost: free "
        "space or fix the disk, check with `mailflow status`, and the next poll carries on"
    )
    assert kept % 5 == 0 and kept < MESSAGES  # whole chunks only
    assert (summary.new, recorded(ledger)) == (MESSAGES - kept, MESSAGES)


def with_chunks(settings: Settings, size: int) -> Settings:
    return dataclasses.replace(settings, imap=dataclasses.replace(settings.imap, chunk_size=size))


def test_a_fault_python_cannot_catch_prints_a_traceback_and_loses_nothing(
    settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    # SIGBUS is what SQLite's memory-mapped -shm file raises when its disk fails mid-poll; here
    # the IMAP password command sends it to the poll, which is as abrupt.
    config = tmp_path / "mailflow.toml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    command = [sys.executable, "-m", "mailflow.cli", "--config", str(config)]
    with EchoingImapServer("no") as imap:
        config.write_text(
            f'[ledger]\nurl = "{settings.ledger.url}"\n[imap]\nhost = "127.0.0.1"\n'
            f'port = {imap.port}\nsecurity = "none"\nuser = "wsis@association.test"\n'
            "password_command = \"sh -c 'kill -BUS $PPID; sleep 5'\"\n"
            '[campaign]\ndeadline = "2099-09-30T23:59:59+07:00"\n',
            encoding="utf-8",
        )
        died = subprocess.run([*command, "poll"], env=env, capture_output=True, timeout=60)
    status = subprocess.run(
        [*command, "status", "--json"], env=env, capture_output=True, timeout=60
    )

    assert died.returncode == -7  # SIGBUS
    assert "Fatal Python error: Bus error" in died.stderr.decode()
    assert status.returncode == 0, status.stderr.decode()
