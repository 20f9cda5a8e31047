"""Faults that must lose nothing: kills mid-ingest, SMTP trouble, a locked ledger, hostile input.

Every test here drives mailflow against real servers on loopback (Dovecot for IMAP, aiosmtpd for
SMTP) or a real Maildir and a real SQLite ledger, injects one kind of fault, and then checks the
ledger itself: each message recorded exactly once and never half-way, each confirmation queued
exactly once and eventually delivered, and the process still working afterwards. Kills and
memory measurements use ``mailflow … poll`` subprocesses, so the fault hits a real process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from imap_tools import MailBoxUnencrypted
from sqlalchemy import func, select
from support import CORPUS
from support.servers import Mailbox
from support.settings import imap_settings
from support.smtp_server import SmtpTestServer

from mailflow import members, pipeline
from mailflow.answering import outbox
from mailflow.answering.sinks import DeliveryResult, Envelope, OnResult, Sink
from mailflow.cli import main
from mailflow.config import Settings
from mailflow.errors import LedgerBusyError, SourceError
from mailflow.ledger import Ledger, sha256
from mailflow.ledger.models import InboundMessage, OutboxMail, Submission
from mailflow.reading import headers
from mailflow.sources import MaildirSource
from mailflow.sources.base import MAX_CHUNK_BYTES, FetchedMessage
from mailflow.sources.imap import ImapSource

PYTHON = sys.executable
FOLDER = "INBOX"


# -- helpers ---------------------------------------------------------------------------------------
def contribution(n: int, *, tag: str = "") -> bytes:
    """A short contribution from ``member<n>``: accepted when n % 3, else no action line."""
    lines = "Action lines: C3, C7\r\n" if n % 3 else ""
    return (
        f"From: Member {n} <member{n}@library.test>\r\nTo: wsis@association.test\r\n"
        f"Subject: WSIS contribution {n}\r\nMessage-ID: <fault-{n}{tag}@library.test>\r\n"
        f"Date: Mon, 08 Sep 2025 10:00:00 +0000\r\n\r\n"
        f"Organisation: Library {n}\r\n{lines}"
        f"Why: we opened {n} reading rooms for the public.\r\n"
        f"Outputs: https://library.test/{n}\r\n"
    ).encode()


def add_members(ledger: Ledger, numbers: Sequence[int]) -> None:
    with ledger.transaction() as session:
        for n in numbers:
            members.upsert(session, [f"member{n}@library.test"], name=f"Member {n}", language="en")


def imap_append(mailbox: Mailbox, messages: Sequence[bytes]) -> None:
    with MailBoxUnencrypted("127.0.0.1", mailbox.server.imap_port).login(
        mailbox.user, mailbox.password, initial_folder=None
    ) as box:
        for raw in messages:
            box.append(raw, FOLDER)


def into_maildir(settings: Settings, name: str, raw: bytes) -> None:
    (Path(settings.imap.maildir) / "new" / f"{name}.fault.test").write_bytes(raw)


def write_config(path: Path, settings: Settings, *, imap: str, smtp: str) -> Path:
    """A mailflow.toml for subprocesses: the test's ledger and the given [imap]/[smtp] lines."""
    path.write_text(
        f'[ledger]\nurl = "{settings.ledger.url}"\n'
        f"[imap]\n{imap}\n"
        f"[smtp]\n{smtp}\n"
        f'[campaign]\ndeadline = "2099-09-30T23:59:59+07:00"\n',
        encoding="utf-8",
    )
    return path


def poll_command(config: Path) -> list[str]:
    return [PYTHON, "-m", "mailflow.cli", "--config", str(config), "poll"]


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    env.update(extra)
    return env


def database_file(settings: Settings) -> str:
    return settings.ledger.url.removeprefix("sqlite:///")


def query_one(settings: Settings, sql: str) -> int:
    """One number, read through a plain read-only connection (never takes the write lock)."""
    db = sqlite3.connect(f"file:{database_file(settings)}?mode=ro", uri=True, timeout=30)
    try:
        (n,) = db.execute(sql).fetchone()
    finally:
        db.close()
    return int(n)


def count_rows(settings: Settings, table: str) -> int:
    return query_one(settings, f"SELECT count(*) FROM {table}")


def confirmations_due(ledger: Ledger) -> int:
    """Submissions from members that were accepted or need revision: each gets one confirmation."""
    with ledger.transaction() as session:
        due = session.scalar(
            select(func.count())
            .select_from(Submission)
            .where(
                Submission.member_id.is_not(None),
                Submission.status.in_(("accepted", "needs_revision")),
            )
        )
    return int(due or 0)


def outbox_states(ledger: Ledger) -> dict[str, int]:
    with ledger.transaction() as session:
        rows = session.execute(
            select(OutboxMail.state, func.count()).group_by(OutboxMail.state)
        ).all()
    return {state: n for state, n in rows}


# -- SIGKILL at random instants ----------------------------------------------------------------
KILLS = 20
MESSAGES = 500


@pytest.mark.servers
@pytest.mark.slow
def test_poll_killed_twenty_times_then_clean_run_records_everything_exactly_once(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox, tmp_path: Path
) -> None:
    imap_append(fresh_mailbox, [contribution(n) for n in range(MESSAGES)])
    add_members(ledger, range(0, MESSAGES, 2))
    outdir = Path(settings.smtp.outdir)
    config = write_config(
        tmp_path / "mailflow.toml",
        settings,
        imap=(
            f'host = "127.0.0.1"\nport = {fresh_mailbox.server.imap_port}\nsecurity = "none"\n'
            f'user = "{fresh_mailbox.user}"\nchunk_size = 25'
        ),
        smtp=f'from = "WSIS coordinator <wsis@association.test>"\noutdir = "{outdir}"',
    )
    env = child_env(MAILFLOW_IMAP_PASSWORD=fresh_mailbox.password)
    rng = random.Random(20251125)
    kills = 0
    progress: list[int] = []
    while kills < KILLS:
        before = count_rows(settings, "inbound_messages")
        process = subprocess.Popen(
            poll_command(config),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if before < MESSAGES and rng.random() < 0.5:
            # Mid-ingest: let this run commit at least one chunk, then kill it somewhere in the
            # next one (or in the outbox flush once the mailbox is read).
            while process.poll() is None and count_rows(settings, "inbound_messages") == before:
                threading.Event().wait(0.02)
            instant = rng.uniform(0.0, 0.6)
        else:
            instant = rng.uniform(0.05, 2.5)  # anywhere: start-up, a chunk, the flush
        try:
            assert process.wait(timeout=instant) == 0
        except subprocess.TimeoutExpired:
            process.kill()  # SIGKILL: no handler, no cleanup
            process.wait()
            kills += 1
        # Whatever the instant, the ledger holds whole chunks: each recorded message processed,
        # with its submission, and the cursor exactly past the recorded chunks.
        recorded = count_rows(settings, "inbound_messages")
        assert recorded % 25 == 0, recorded
        assert count_rows(settings, "submissions") == recorded
        assert count_rows(settings, "inbound_messages WHERE state != 'processed'") == 0
        assert query_one(settings, "SELECT coalesce(max(last_uid), 0) FROM mailbox_cursors") == (
            recorded
        )
        progress.append(recorded)

    clean = subprocess.run(poll_command(config), env=env, capture_output=True, timeout=300)
    assert clean.returncode == 0, clean.stderr.decode()
    # Rows a killed process left in ``sending`` go back to the queue once their lease is over.
    outbox.flush(
        settings, ledger, now=datetime.now(UTC) + outbox.SENDING_LEASE + timedelta(minutes=1)
    )

    assert progress[0] < MESSAGES, progress  # the kills began while the ingest was under way
    with ledger.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == MESSAGES
        assert session.scalar(select(func.count(func.distinct(InboundMessage.sha256)))) == MESSAGES
        assert set(session.scalars(select(InboundMessage.state))) == {"processed"}
        assert session.scalar(select(func.count()).select_from(Submission)) == MESSAGES
        assert session.scalar(select(func.count(func.distinct(Submission.inbound_id)))) == MESSAGES
        confirmations = list(
            session.execute(
                select(OutboxMail.submission_id, OutboxMail.message_id).where(
                    OutboxMail.kind == "confirmation"
                )
            ).all()
        )
    due = confirmations_due(ledger)
    assert due == MESSAGES // 2  # every member's submission is accepted or needs revision
    assert len(confirmations) == len({submission for submission, _ in confirmations}) == due
    assert outbox_states(ledger) == {"sent": due}
    written = sorted(p for p in outdir.iterdir() if not p.name.startswith("."))
    assert sorted(
        str(message_from_bytes(p.read_bytes(), policy=policy.default)["Message-ID"])
        for p in written
    ) == sorted(m for _, m in confirmations)


# -- SMTP trouble, through the CLI -------------------------------------------------------------
FLUSH_KILLS = 8
CONFIRMATIONS = 40


@pytest.mark.slow
def test_flush_killed_eight_times_resends_at_most_one_mail_per_kill(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    for n in range(CONFIRMATIONS):
        with ledger.transaction() as session:
            outbox.queue(
                session,
                kind="confirmation",
                message_id=f"<confirm-{n}@association.test>",
                sender="wsis@association.test",
                recipient=f"member{n}@members.test",
                subject="Re: contribution",
                data=(
                    f"From: wsis@association.test\r\nTo: member{n}@members.test\r\n"
                    f"Subject: Re: contribution\r\nMessage-ID: <confirm-{n}@association.test>\r\n"
                    "\r\nThank you.\r\n"
                ).encode(),
            )
    smtp_server.delay_data(0.05)  # each mail takes a while, so kills land mid-batch
    config = write_config(
        tmp_path / "mailflow.toml",
        settings,
        imap=f'maildir = "{settings.imap.maildir}"',
        smtp=(
            f'host = "{smtp_server.host}"\nport = {smtp_server.port}\nsecurity = "none"\n'
            'user = ""\nfrom = "WSIS coordinator <wsis@association.test>"'
        ),
    )
    command = [PYTHON, "-m", "mailflow.cli", "--config", str(config), "outbox", "flush"]
    rng = random.Random(20261203)
    kills = 0
    for _ in range(40):  # bounded: every run sends something before it is killed
        if count_rows(settings, "outbox WHERE state = 'sent'") == CONFIRMATIONS:
            break
        # Rows a killed process left in ``sending`` are due again once their lease is over.
        db = sqlite3.connect(database_file(settings), timeout=30)
        with db:
            db.execute(
                "UPDATE outbox SET updated_at = '2000-01-01 00:00:00' WHERE state = 'sending'"
            )
        db.close()
        before = len(smtp_server.received)
        process = subprocess.Popen(
            command, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if kills < FLUSH_KILLS:  # kill once this run is delivering, at a random instant
            while process.poll() is None and len(smtp_server.received) == before:
                threading.Event().wait(0.01)
        try:
            process.wait(timeout=rng.uniform(0.0, 0.5) if kills < FLUSH_KILLS else 120)
        except subprocess.TimeoutExpired:
            process.kill()  # SIGKILL: no handler, no cleanup
            process.wait()
            kills += 1

    ids = [
        str(message_from_bytes(r.data, policy=policy.default)["Message-ID"])
        for r in smtp_server.received
    ]
    duplicates = len(ids) - len(set(ids))
    assert kills == FLUSH_KILLS
    assert len(set(ids)) == CONFIRMATIONS
    assert count_rows(settings, "outbox WHERE state = 'sent'") == CONFIRMATIONS
    assert duplicates <= kills, f"{duplicates} duplicates after {kills} kills"


class Cli:
    """`mailflow` commands in-process on a config whose [smtp] points at an aiosmtpd server."""

    def __init__(self, tmp_path: Path, settings: Settings, server: SmtpTestServer) -> None:
        self.config = write_config(
            tmp_path / "mailflow.toml",
            settings,
            imap=f'maildir = "{settings.imap.maildir}"\nuser = "wsis@association.test"',
            smtp=(
                f'host = "{server.host}"\nport = {server.port}\nsecurity = "none"\nuser = ""\n'
                f'from = "WSIS coordinator <wsis@association.test>"\nretry_base_s = 60'
            ),
        )
        self.runner = CliRunner()

    def run(self, *args: str, exit_code: int = 0) -> str:
        result = self.runner.invoke(
            main, ["--config", str(self.config), *args], env={"COLUMNS": "300"}
        )
        assert result.exit_code == exit_code, result.output
        return result.output

    def outbox(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = json.loads(self.run("outbox", "list", "--json"))
        return rows


@pytest.fixture
def cli(tmp_path: Path, settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer) -> Cli:
    """Three member contributions waiting in the Maildir, and the CLI to poll them."""
    add_members(ledger, [1, 2, 3])
    for n in (1, 2, 3):
        into_maildir(settings, f"{n:03d}", contribution(n))
    return Cli(tmp_path, settings, smtp_server)


def received_ids(server: SmtpTestServer) -> list[str]:
    return sorted(
        str(message_from_bytes(r.data, policy=policy.default)["Message-ID"])
        for r in server.received
    )


@pytest.mark.parametrize(
    ("code", "text"), [(421, "4.3.0 Service shutting down"), (451, "4.3.0 Local error, try later")]
)
def test_poll_smtp_temporary_failure_delivers_each_confirmation_once_after_recovery(
    cli: Cli, smtp_server: SmtpTestServer, code: int, text: str
) -> None:
    smtp_server.fail("MAIL", code, text, times=None)

    polled = cli.run("poll", exit_code=1)
    waiting = cli.outbox()
    smtp_server.reset()
    cli.run("outbox", "flush")
    cli.run("outbox", "flush")

    assert polled.endswith(f"; outbox: 3 retry\nError: 3 mails not sent: {text}\n")
    assert [row["state"] for row in waiting] == ["queued"] * 3
    assert (waiting[0]["smtp_code"], waiting[0]["last_error"]) == (code, text)
    assert [row["state"] for row in cli.outbox()] == ["sent"] * 3
    assert received_ids(smtp_server) == sorted(str(row["message_id"]) for row in waiting)


def test_poll_smtp_550_marks_failed_with_the_servers_words_in_outbox_list_and_status(
    cli: Cli, smtp_server: SmtpTestServer
) -> None:
    smtp_server.fail("RCPT", 550, "5.1.1 <member1@library.test>: mailbox unavailable", times=1)

    polled = cli.run("poll", exit_code=1)
    cli.run("outbox", "flush")

    failed = [row for row in cli.outbox() if row["state"] == "failed"]
    assert [(row["recipient"], row["smtp_code"], row["attempts"]) for row in failed] == [
        ("member1@library.test", 550, 1)
    ]
    words = "5.1.1 <member1@library.test>: mailbox unavailable"
    assert polled.endswith(f"; outbox: 1 failed, 2 sent\nError: 1 mail not sent: {words}\n")
    assert failed[0]["last_error"] == words
    listed = [line for line in cli.run("outbox", "list").splitlines() if "\tfailed\t" in line]
    assert listed == [
        f"{failed[0]['id']}\tconfirmation\tfailed\t1\tmember1@library.test\t550 {words}"
    ]
    status = json.loads(cli.run("status", "--json"))
    assert status["outbox"] == {"queued": 0, "sending": 0, "sent": 2, "failed": 1, "bounced": 0}
    assert status["outbox_last_failure"]["error"] == words
    assert (
        f"  #{failed[0]['id']}  confirmation to member1@library.test: failed — {words}\n"
        in cli.run("status")
    )


def test_poll_smtp_connection_dropped_during_data_is_retried_not_lost(
    cli: Cli, smtp_server: SmtpTestServer
) -> None:
    smtp_server.drop_during_data(times=1)

    polled = cli.run("poll", exit_code=1)
    after_drop = {row["state"] for row in cli.outbox()}
    cli.run("outbox", "flush")

    assert polled.splitlines()[-1].startswith("Error: 1 mail not sent: ")
    assert after_drop == {"queued", "sent"}
    rows = cli.outbox()
    assert [row["state"] for row in rows] == ["sent"] * 3
    assert received_ids(smtp_server) == sorted(str(row["message_id"]) for row in rows)


# -- the ledger busy or locked ------------------------------------------------------------------
@contextmanager
def write_lock(settings: Settings) -> Iterator[sqlite3.Connection]:
    """Hold SQLite's write lock from a second connection, as another writer would."""
    db = sqlite3.connect(database_file(settings), isolation_level=None, timeout=30)
    try:
        db.execute("BEGIN IMMEDIATE")
        yield db
        db.execute("ROLLBACK")
    finally:
        db.close()


def test_poll_waits_for_a_short_lock_then_records(settings: Settings, ledger: Ledger) -> None:
    for n in range(3):
        into_maildir(settings, f"{n:03d}", contribution(n))
    held, released = threading.Event(), threading.Event()

    def other_writer() -> None:
        with write_lock(settings):
            held.set()
            threading.Event().wait(0.3)
        released.set()

    thread = threading.Thread(target=other_writer)
    thread.start()
    held.wait(30)
    patient = Ledger(settings.ledger.url, busy_timeout_s=30)
    try:
        summary = pipeline.run_once(settings, patient, send=False)
    finally:
        patient.close()
        thread.join()

    assert released.is_set()
    assert summary.new == 3
    assert count_rows(settings, "submissions") == 3


def test_poll_ledger_locked_too_long_exits_1_with_a_clear_error_and_records_nothing(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer, tmp_path: Path
) -> None:
    for n in range(3):
        into_maildir(settings, f"{n:03d}", contribution(n))
    cli = Cli(tmp_path, settings, smtp_server)
    runner = CliRunner()

    with write_lock(settings):
        locked = runner.invoke(
            main,
            ["--config", str(cli.config), "poll"],
            env={"MAILFLOW_LEDGER_BUSY_TIMEOUT_S": "0.2"},
        )
        recorded_meanwhile = count_rows(settings, "inbound_messages")
    cli.run("poll")

    assert (locked.exit_code, locked.output) == (
        1,
        "Error: the ledger is locked by another process; try again\n",
    )
    assert recorded_meanwhile == 0
    assert count_rows(settings, "inbound_messages") == count_rows(settings, "submissions") == 3


class LockAfterFirstChunk:
    """A Maildir source that lets another writer take the ledger's lock after the first chunk."""

    def __init__(self, settings: Settings) -> None:
        self.inner = MaildirSource(settings.imap.maildir, account=settings.imap.account)
        self.account, self.folder = self.inner.account, self.inner.folder
        self.uses_uids = self.inner.uses_uids
        self.settings = settings
        self.holder: sqlite3.Connection | None = None

    def __enter__(self) -> LockAfterFirstChunk:
        self.inner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.inner.__exit__(*exc)

    def uidvalidity(self) -> int:
        return self.inner.uidvalidity()

    def new_keys(self, after_uid: int) -> list[str]:
        return self.inner.new_keys(after_uid)

    def fetch(self, keys: Sequence[str], chunk_size: int) -> Iterator[list[FetchedMessage]]:
        for number, batch in enumerate(self.inner.fetch(keys, chunk_size)):
            # A poll fetches the next chunk before it records the current one, so the first
            # chunk is committed when the third is fetched.
            if number == 2:
                self.holder = sqlite3.connect(
                    database_file(self.settings), isolation_level=None, timeout=30
                )
                self.holder.execute("BEGIN IMMEDIATE")
            yield batch

    def mark_processed(self, keys: Sequence[str]) -> None:
        self.inner.mark_processed(keys)


def test_poll_lock_taken_between_chunks_leaves_whole_chunks_then_resumes(
    settings: Settings, ledger: Ledger
) -> None:
    add_members(ledger, range(10))
    for n in range(10):
        into_maildir(settings, f"{n:03d}", contribution(n))
    small = dataclasses.replace(settings, imap=dataclasses.replace(settings.imap, chunk_size=4))
    impatient = Ledger(settings.ledger.url, busy_timeout_s=0.2)
    source = LockAfterFirstChunk(small)

    try:
        with pytest.raises(LedgerBusyError, match="locked by another process"):
            pipeline.run_once(small, impatient, send=False, source=source)
    finally:
        impatient.close()
        assert source.holder is not None
        source.holder.execute("ROLLBACK")
        source.holder.close()
    first = (
        count_rows(settings, "inbound_messages"),
        count_rows(settings, "submissions"),
        count_rows(settings, "outbox"),
    )
    again = pipeline.run_once(small, ledger, send=False)

    assert first == (4, 4, 4)
    assert (again.new, again.already_recorded) == (6, 4)
    assert count_rows(settings, "inbound_messages") == count_rows(settings, "submissions") == 10
    assert count_rows(settings, "outbox") == confirmations_due(ledger) == 10


# -- bad input, whatever it is -------------------------------------------------------------------
def multipart(n: int, attachments: Sequence[tuple[str, str, bytes]], body: str = "") -> bytes:
    """A member's mail with a text body and attachments given as (filename, type, bytes)."""
    message = EmailMessage()
    message["From"] = f"Member {n} <member{n}@library.test>"
    message["To"] = "wsis@association.test"
    message["Subject"] = f"WSIS contribution {n}"
    message["Message-ID"] = f"<hostile-{n}@library.test>"
    message.set_content(body or "Action lines: C3\nWhy: see the attachment.\n")
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def zip_bomb_docx(uncompressed: int = 1 << 30) -> bytes:
    """A .docx whose document.xml inflates to ``uncompressed`` bytes (a few MB on disk)."""
    buffer = io.BytesIO()
    block = b"<w:t>" + b"A" * (1 << 20)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as docx:
        docx.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with docx.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(uncompressed // len(block)):
                member.write(block)
    return buffer.getvalue()


def many_pages_pdf(pages: int = 10_000) -> bytes:
    """A valid PDF with a flat /Pages tree of ``pages`` empty pages, built by hand."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
        + b"] /Count %d >>" % pages,
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def five_hundred_attachments() -> bytes:
    return multipart(
        4,
        [
            (f"part{i:03d}.txt", "text/plain", f"Outputs: https://library.test/{i}\n".encode())
            for i in range(500)
        ],
    )


def hostile_mailbox() -> dict[str, bytes]:
    """Maildir names (in the order a poll reads them) and the hostile mail to put there."""
    return {
        "1-fifty-megabytes": multipart(
            1, [("data.bin", "application/octet-stream", os.urandom(37 << 20))]
        ),
        "2-zip-bomb": multipart(
            2,
            [
                (
                    "report.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    zip_bomb_docx(),
                )
            ],
        ),
        "3-ten-thousand-pages": multipart(3, [("report.pdf", "application/pdf", many_pages_pdf())]),
        "4-five-hundred-attachments": five_hundred_attachments(),
        "5-ordinary": contribution(5),
    }


#: Runs a poll in this interpreter and reports peak RSS before and after it (KiB, Linux).
MEASURED_POLL = """
import json, sys
def peak_kib():  # VmHWM: ru_maxrss would carry over the forking test session's peak
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
import mailflow.cli, mailflow.pipeline, mailflow.intake
before = peak_kib()
try:
    mailflow.cli.main(["--config", sys.argv[1], "poll"], standalone_mode=False)
finally:
    after = peak_kib()
    print(json.dumps({"before_kib": before, "peak_kib": after}), file=sys.stderr)
"""

#: Generous: a poll holding one hostile message at a time needs a fraction of this.
MEMORY_BOUND_KIB = 1536 * 1024


@pytest.mark.slow
def test_poll_hostile_mail_is_recorded_and_the_poll_goes_on_in_bounded_memory(
    settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    add_members(ledger, range(1, 6))
    mail = hostile_mailbox()
    for name, raw in mail.items():
        into_maildir(settings, name, raw)
    config = write_config(
        tmp_path / "mailflow.toml",
        settings,
        imap=f'maildir = "{settings.imap.maildir}"\nuser = "wsis@association.test"\nchunk_size = 1',
        smtp=f'from = "WSIS <wsis@association.test>"\noutdir = "{settings.smtp.outdir}"',
    )

    done = subprocess.run(
        [PYTHON, "-c", MEASURED_POLL, str(config)],
        env=child_env(),
        capture_output=True,
        timeout=600,
    )

    assert done.returncode == 0, done.stderr.decode()[-3000:]
    memory = json.loads(done.stderr.decode().strip().splitlines()[-1])
    assert memory["peak_kib"] - memory["before_kib"] < MEMORY_BOUND_KIB, memory
    with ledger.transaction() as session:
        rows = session.execute(
            select(InboundMessage.message_id, InboundMessage.size, InboundMessage.state).order_by(
                InboundMessage.id
            )
        ).all()
        verdicts = {
            message_id: (status, {issue["code"] for issue in issues})
            for message_id, status, issues in session.execute(
                select(InboundMessage.message_id, Submission.status, Submission.issues).join(
                    Submission, Submission.inbound_id == InboundMessage.id
                )
            )
        }
    assert [(m, size) for m, size, _ in rows] == [
        ("<hostile-1@library.test>", len(mail["1-fifty-megabytes"])),
        ("<hostile-2@library.test>", len(mail["2-zip-bomb"])),
        ("<hostile-3@library.test>", len(mail["3-ten-thousand-pages"])),
        ("<hostile-4@library.test>", len(mail["4-five-hundred-attachments"])),
        ("<fault-5@library.test>", len(mail["5-ordinary"])),
    ]
    assert {state for _, _, state in rows} == {"processed"}
    # Each hostile mail is answered with what stopped the reading; the ordinary one is unharmed.
    assert verdicts["<hostile-1@library.test>"][1] >= {"too_large", "empty"}
    assert "unreadable_attachment" in verdicts["<hostile-2@library.test>"][1]
    assert "unreadable_attachment" in verdicts["<hostile-3@library.test>"][1]
    assert "too_large" in verdicts["<hostile-4@library.test>"][1]
    assert verdicts["<fault-5@library.test>"][0] == "accepted"
    assert count_rows(settings, "outbox WHERE state = 'sent'") == 5


def test_poll_500_attachments_gives_one_limit_warning_not_one_per_attachment(
    settings: Settings, ledger: Ledger
) -> None:
    add_members(ledger, [4])
    into_maildir(settings, "500", five_hundred_attachments())

    pipeline.run_once(settings, ledger, send=False)

    with ledger.transaction() as session:
        issues = session.scalars(select(Submission.issues)).one()
    codes = [issue["code"] for issue in issues]
    assert codes.count("too_large") == 1
    assert codes.count("unreadable_attachment") == 0


# -- hypothesis-generated MIME through the whole pipeline ---------------------------------------
CHARSETS = ("utf-8", "windows-1258", "iso-8859-1", "koi8-r", "gb2312", "x-unknown", "")
TYPES = ("text/plain", "text/html", "application/pdf", "application/msword", "message/rfc822")


@st.composite
def mime_parts(draw: st.DrawFn, depth: int = 0) -> str:
    """A MIME entity as text: headers a stranger might write, then a body or nested parts."""
    if depth < 3 and draw(st.booleans()):
        boundary = draw(st.sampled_from(["b1", "", "=_x", "b1"])) + str(depth)
        children = draw(st.lists(mime_parts(depth + 1), max_size=4))
        body = "".join(f"--{boundary}\r\n{child}\r\n" for child in children)
        closing = draw(st.sampled_from([f"--{boundary}--\r\n", ""]))
        return f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n{body}{closing}'
    ctype = draw(st.sampled_from(TYPES))
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(["7bit", "base64", "quoted-printable", "8bit", "x-bogus"]))
    filename = draw(st.text(max_size=20))
    body = draw(st.text(max_size=300))
    return (
        f"Content-Type: {ctype}; charset={charset}\r\nContent-Transfer-Encoding: {encoding}\r\n"
        f"Content-Disposition: {draw(st.sampled_from(['attachment', 'inline', 'bogus']))}; "
        f'filename="{filename}"\r\n\r\n{body}\r\n'
    )


@st.composite
def hostile_mail(draw: st.DrawFn) -> bytes:
    subject = draw(st.text(max_size=80))
    sender = draw(st.sampled_from(["member1@library.test", "", "<>", "x@", "\u00e9@\u00e9.test"]))
    text = (
        f"From: {draw(st.text(max_size=30))} <{sender}>\r\nTo: wsis@association.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: {draw(st.text(max_size=40))}\r\n"
        f"Date: {draw(st.sampled_from(['Mon, 08 Sep 2025 10:00:00 +0000', 'yesterday', '']))}\r\n"
        f"MIME-Version: 1.0\r\n{draw(mime_parts())}"
    )
    raw = text.encode("utf-8", "surrogateescape")
    noise = draw(st.binary(max_size=40))
    at = draw(st.integers(min_value=0, max_value=len(raw)))
    return raw[:at] + noise + raw[at:]


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=hostile_mail())
def test_poll_any_generated_mime_is_recorded_once_and_the_poll_goes_on(
    settings: Settings, ledger: Ledger, raw: bytes
) -> None:
    # One ledger for all examples: each example adds its mail, then an ordinary one after it.
    add_members(ledger, [1])
    new = Path(settings.imap.maildir) / "new"
    number = len(list(new.iterdir())) // 2
    into_maildir(settings, f"{number:05d}-a", raw)
    into_maildir(settings, f"{number:05d}-b", contribution(1, tag=f"-{number}"))

    summary = pipeline.run_once(settings, ledger, send=False)

    # Every file is accounted for: recorded now, or known (same place or same bytes) before.
    assert summary.new + summary.already_recorded == 2 * (number + 1)
    with ledger.transaction() as session:
        stored = session.scalars(
            select(InboundMessage).where(InboundMessage.sha256 == sha256(raw))
        ).one()
        assert stored.raw == raw
        assert stored.state in ("processed", "failed")
        ordinary = session.scalars(
            select(InboundMessage).where(
                InboundMessage.message_id == f"<fault-1-{number}@library.test>"
            )
        ).one()
        assert ordinary.state == "processed"


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not on this machine")
@pytest.mark.slow
def test_poll_whole_corpus_with_every_sender_a_member_answers_and_loses_nothing(
    settings: Settings, ledger: Ledger
) -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in {".md", ".csv"})
    senders = set()
    for n, path in enumerate(files):
        raw = path.read_bytes()
        into_maildir(settings, f"{n:04d}", raw)
        senders.add(headers.sender(headers.parse(raw))[1])
    # Addresses a reply can go to (an ASCII local part before the @); a member whose address
    # cannot be answered is the subject of its own test below.
    answerable = sorted(a for a in senders if a.isascii() and a.find("@") > 0)
    with ledger.transaction() as session:
        for address in answerable:
            members.upsert(session, [address])

    summary = pipeline.run_once(settings, ledger)

    distinct = len({p.read_bytes() for p in files})
    assert summary.new == distinct
    assert count_rows(settings, "inbound_messages WHERE state != 'processed'") == 0
    queued = count_rows(settings, "outbox")
    assert summary.delivery == {"sent": queued}
    assert queued == count_rows(settings, "outbox WHERE kind = 'confirmation'")
    written = [p for p in Path(settings.smtp.outdir).iterdir() if p.suffix == ".eml"]
    assert len(written) == queued


def test_poll_member_whose_address_cannot_be_answered_still_gets_a_submission(
    settings: Settings, ledger: Ledger
) -> None:
    with ledger.transaction() as session:
        members.upsert(session, ["jdöe@mächine.example"], name="J. Döe")
    raw = contribution(1).replace(b"member1@library.test", "jdöe@mächine.example".encode())
    into_maildir(settings, "eai", raw)

    pipeline.run_once(settings, ledger, send=False)

    with ledger.transaction() as session:
        assert session.scalars(select(InboundMessage.state)).all() == ["processed"]
        assert session.scalars(select(Submission.status)).all() == ["accepted"]


class LockAfterFirstRecord:
    """A sink that delivers for real; once the first mail's result is recorded, another writer
    takes the ledger's lock, so recording the second mail (which the server accepted) fails."""

    def __init__(self, inner: Sink, settings: Settings) -> None:
        self.inner, self.settings = inner, settings
        self.holder: sqlite3.Connection | None = None

    def deliver(
        self, batch: Sequence[Envelope], on_result: OnResult | None = None
    ) -> list[DeliveryResult]:
        assert on_result is not None

        def record_then_lock(index: int, result: DeliveryResult) -> None:
            on_result(index, result)
            if self.holder is None:
                self.holder = sqlite3.connect(
                    database_file(self.settings), isolation_level=None, timeout=30
                )
                self.holder.execute("BEGIN IMMEDIATE")

        return self.inner.deliver(batch, record_then_lock)

    def close(self) -> None:
        self.inner.close()


def test_flush_ledger_locked_after_a_delivery_resends_only_that_mail(
    cli: Cli, settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    cli.run("poll", "--no-send")
    smtp = dataclasses.replace(
        settings.smtp,
        host=smtp_server.host,
        port=smtp_server.port,
        security="none",
        outdir="",
        user="",
    )
    configured = dataclasses.replace(settings, smtp=smtp)
    impatient = Ledger(settings.ledger.url, busy_timeout_s=0.2)
    sink = LockAfterFirstRecord(outbox.make_sink(smtp), settings)

    try:
        with pytest.raises(LedgerBusyError):
            outbox.flush(configured, impatient, sink=sink)
    finally:
        sink.close()
        impatient.close()
        assert sink.holder is not None
        sink.holder.execute("ROLLBACK")
        sink.holder.close()
    states = [row["state"] for row in cli.outbox()]
    first = received_ids(smtp_server)
    later = datetime.now(UTC) + outbox.SENDING_LEASE + timedelta(minutes=1)
    counts = outbox.flush(configured, ledger, now=later)

    # The first mail's result was recorded; the second was accepted but could not be; the
    # third was never tried.
    assert states == ["sent", "sending", "sending"]
    ids = [str(row["message_id"]) for row in cli.outbox()]
    assert first == sorted(ids[:2])
    assert counts == {"sent": 2}
    assert received_ids(smtp_server) == sorted([*ids, ids[1]])  # one duplicate, the same id
    assert [row["state"] for row in cli.outbox()] == ["sent"] * 3


#: TCP states of /proc/net/tcp, as `connections_to` reports them.
TCP_STATES = {"01": "ESTABLISHED", "06": "TIME_WAIT", "08": "CLOSE_WAIT", "09": "LAST_ACK"}


def open_sockets() -> set[int]:
    """The inodes of the sockets this process holds open (its file descriptors, from /proc)."""
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # a descriptor closed while we look
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:["):
                found.add(int(target[8:-1]))
    return found


def connections_to(port: int) -> dict[int, str]:
    """This process's TCP connections to 127.0.0.1:``port``, as socket inode → state.

    Its open sockets matched with the kernel's table of TCP connections, as ``ss -p`` does. A
    connection the peer reset leaves the table while its socket stays open (`open_sockets`).
    """
    mine = open_sockets()
    found = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state, inode = fields[2], fields[3], int(fields[9])
        if inode in mine and remote == f"0100007F:{port:04X}":
            found[inode] = TCP_STATES.get(state, state)
    return found


class KickedAfterFirstChunk(ImapSource):
    """The real IMAP source, whose session Dovecot ends (``doveadm kick``) after the first chunk.

    That is how a server restart, an administrator or an expired session breaks a poll: the
    server says BYE and closes the connection; the next command of mailflow finds it gone.
    """

    def __init__(self, settings: Settings, mailbox: Mailbox) -> None:
        super().__init__(settings.imap)
        self.mailbox = mailbox
        self.port = mailbox.server.imap_port
        self.others = set(connections_to(self.port))  # not this source's
        self.kicked: set[int] = set()  # the connections the server ended

    def fetch(
        self, keys: Sequence[str], chunk_size: int, *, max_bytes: int = MAX_CHUNK_BYTES
    ) -> Iterator[list[FetchedMessage]]:
        chunks = super().fetch(keys, chunk_size, max_bytes=max_bytes)
        for number, batch in enumerate(chunks):
            yield batch
            if number == 0:
                self.kicked = set(connections_to(self.port)) - self.others
                self.mailbox.server.kick(self.mailbox.user)
                self.wait_until_closed_by_the_server()

    def wait_until_closed_by_the_server(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = connections_to(self.port)
            if all(states.get(inode) in (None, "CLOSE_WAIT") for inode in self.kicked):
                return
            time.sleep(0.02)
        raise AssertionError(f"Dovecot did not end the session in {timeout} s: {states}")


@pytest.mark.servers
def test_poll_imap_connection_lost_mid_ingest_keeps_whole_chunks_then_resumes(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox
) -> None:
    add_members(ledger, range(12))
    imap_append(fresh_mailbox, [contribution(n) for n in range(12)])
    config = imap_settings(settings, fresh_mailbox, chunk_size=5)
    source = KickedAfterFirstChunk(config, fresh_mailbox)

    with pytest.raises(SourceError, match="IMAP UID FETCH") as caught:
        pipeline.run_once(config, ledger, send=False, source=source)
    first = (count_rows(settings, "inbound_messages"), count_rows(settings, "outbox"))
    again = pipeline.run_once(config, ledger, send=False)

    assert caught.value.retryable is True
    assert first == (5, 5)
    assert (again.new, again.already_recorded) == (7, 0)
    assert count_rows(settings, "inbound_messages") == count_rows(settings, "submissions") == 12
    assert count_rows(settings, "outbox") == 12


@pytest.mark.servers
def test_poll_imap_connection_lost_closes_the_socket(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox
) -> None:
    imap_append(fresh_mailbox, [contribution(n) for n in range(6)])
    config = imap_settings(settings, fresh_mailbox, chunk_size=5)
    source = KickedAfterFirstChunk(config, fresh_mailbox)

    with pytest.raises(SourceError):
        pipeline.run_once(config, ledger, send=False, source=source)
    still_open = open_sockets() & source.kicked

    assert (len(source.kicked), still_open) == (1, set())


def big_mail(n: int, megabytes: int) -> bytes:
    """A member's mail carrying ``megabytes`` MB of base64 attachment (random, incompressible)."""
    return multipart(n, [("data.bin", "application/octet-stream", os.urandom(megabytes << 20))])


class SizeRecordingMaildir(MaildirSource):
    """The Maildir source, noting how many bytes of mail each chunk it yields holds at once."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings.imap.maildir, account=settings.imap.account)
        self.chunk_bytes: list[int] = []

    def fetch(self, keys: Sequence[str], chunk_size: int) -> Iterator[list[FetchedMessage]]:
        for batch in super().fetch(keys, chunk_size):
            self.chunk_bytes.append(sum(len(m.raw) for m in batch))
            yield batch


@pytest.mark.slow
def test_poll_large_mails_are_not_held_in_memory_all_at_once(
    settings: Settings, ledger: Ledger
) -> None:
    for n in range(10):
        into_maildir(settings, f"{n:03d}", big_mail(n, 20))
    source = SizeRecordingMaildir(settings)

    summary = pipeline.run_once(settings, ledger, send=False, source=source)

    assert summary.new == 10
    # However a chunk is cut, ten 27 MB mails are not all in memory at once.
    assert max(source.chunk_bytes) < 100 << 20, source.chunk_bytes
