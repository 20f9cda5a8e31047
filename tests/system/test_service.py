"""`mailflow serve` against real servers: IDLE, polling, reconnects, signals, the lock, logs."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted
from sqlalchemy import select
from support.servers import SHARED_PASSWORD, Dovecot, Mailbox, dovecot_available, free_port
from support.serving import DEADLINE_S, FAST, Running, wait_until
from support.settings import imap_settings

from mailflow import logs, service
from mailflow.answering import outbox
from mailflow.config import LedgerSettings, Settings
from mailflow.errors import MailflowError
from mailflow.ledger import Ledger
from mailflow.ledger.models import InboundMessage, OutboxMail, ServiceEvent


def message(n: int, tag: str = "") -> bytes:
    return (
        f"From: Member {n} <member{n}@library.test>\r\nTo: wsis@association.test\r\n"
        f"Subject: WSIS contribution {n}\r\nMessage-ID: <serve-{n}{tag}@library.test>\r\n"
        f"Date: Mon, 08 Sep 2025 10:00:00 +0000\r\n\r\n"
        f"Action lines: C3\r\nWhy: we opened {n} reading rooms.\r\n"
    ).encode()


def append(mailbox: Mailbox, raw: bytes) -> None:
    with MailBoxUnencrypted("127.0.0.1", mailbox.server.imap_port).login(
        mailbox.user, mailbox.password, initial_folder=None
    ) as box:
        box.append(raw, "INBOX")


def deliver_to_maildir(folder: Path, raw: bytes, *, owner: str | None = None) -> None:
    """Drop a message into a Maildir the way an MDA does: write in tmp/, rename into new/."""
    name = f"{time.time_ns()}.{uuid.uuid4().hex}.test"
    tmp = folder / "tmp" / name
    tmp.write_bytes(raw)
    if owner:
        shutil.chown(tmp, owner, "nogroup")
    tmp.rename(folder / "new" / name)


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def recorded(ledger: Ledger) -> set[str]:
    with ledger.transaction() as session:
        return {m for m in session.scalars(select(InboundMessage.message_id)) if m}


def service_event(ledger: Ledger, name: str) -> str | None:
    with ledger.transaction() as session:
        event = session.get(ServiceEvent, name)
        return event.detail if event else None


def last_error(ledger: Ledger) -> str | None:
    return service_event(ledger, "last_error")


# -- pure parts ---------------------------------------------------------------------------------
def test_backoff_delay_doubles_from_the_minimum() -> None:
    timings = service.Timings(backoff_min_s=2.0, backoff_max_s=300.0)

    delays = [service.backoff_delay(n, timings, rand=lambda: 1.0) for n in (1, 2, 3, 4)]

    assert delays == [2.0, 4.0, 8.0, 16.0]


def test_backoff_delay_is_capped_even_after_many_failures() -> None:
    timings = service.Timings(backoff_min_s=2.0, backoff_max_s=300.0)

    assert service.backoff_delay(10_000, timings, rand=lambda: 1.0) == 300.0


def test_backoff_delay_jitter_keeps_at_least_half() -> None:
    timings = service.Timings(backoff_min_s=2.0, backoff_max_s=300.0)

    assert service.backoff_delay(3, timings, rand=lambda: 0.0) == 4.0


def test_lock_path_sits_beside_the_sqlite_database(ledger: Ledger, tmp_path: Path) -> None:
    assert service.lock_path(ledger) == tmp_path / "ledger.sqlite3.serve.lock"


def test_lock_path_is_none_for_postgresql() -> None:
    ledger = Ledger("postgresql+psycopg://mailflow@127.0.0.1:1/mailflow")
    try:
        assert service.lock_path(ledger) is None
    finally:
        ledger.close()


def test_service_retries_on_mailflow_errors_only() -> None:
    """The ledger and the sources translate their libraries' errors (tests/ledger/test_errors.py,
    tests/sources/test_imap_errors.py), so the service needs to know no other."""
    assert (MailflowError,) == service.RETRYABLE


def test_stop_on_signals_sets_the_event_on_sigterm() -> None:
    stop = threading.Event()
    with service.stop_on_signals(stop):
        os.kill(os.getpid(), signal.SIGTERM)
        wait_until(stop.is_set, "stop requested")


def test_stop_on_signals_interrupts_on_a_second_signal() -> None:
    stop = threading.Event()
    with service.stop_on_signals(stop), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        wait_until(stop.is_set, "stop requested")
        os.kill(os.getpid(), signal.SIGINT)
        wait_until(lambda: False, "the second signal", timeout=5.0)


def test_stop_on_signals_puts_the_previous_handlers_back() -> None:
    before = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
    with service.stop_on_signals(threading.Event()):
        pass

    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


# -- logging ------------------------------------------------------------------------------------
@pytest.fixture
def log_stream() -> Iterator[Callable[[str, str], io.StringIO]]:
    levels = {name: logging.getLogger(name).level for name in ("", *logs.QUIET)}
    handlers: list[logging.Handler] = []

    def install(fmt: str, level_name: str = "INFO") -> io.StringIO:
        stream = io.StringIO()
        handlers.append(logs.setup(fmt, level_name, stream=stream))
        return stream

    yield install
    for handler in handlers:
        logs.teardown(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_json_log_line_carries_extra_fields(
    log_stream: Callable[[str, str], io.StringIO],
) -> None:
    stream = log_stream("json", "INFO")

    logging.getLogger("mailflow.test").info(
        "recorded %s", "<a@b.test>", extra={"message_id": "<a@b.test>", "outcome": "accepted"}
    )

    line = json.loads(stream.getvalue())
    assert set(line) == {"time", "level", "logger", "message", "message_id", "outcome"}
    assert (line["level"], line["logger"], line["message"]) == (
        "INFO",
        "mailflow.test",
        "recorded <a@b.test>",
    )
    assert (line["message_id"], line["outcome"]) == ("<a@b.test>", "accepted")


def test_text_log_line_is_time_level_logger_and_message(
    log_stream: Callable[[str, str], io.StringIO],
) -> None:
    stream = log_stream("text", "INFO")

    logging.getLogger("mailflow.test").warning("late %s", "<x@y>", extra={"message_id": "<x@y>"})

    assert stream.getvalue().split(" ", 2)[2] == "WARNING mailflow.test: late <x@y>\n"


def test_log_setup_quiets_third_party_loggers_at_debug(
    log_stream: Callable[[str, str], io.StringIO],
) -> None:
    stream = log_stream("text", "DEBUG")

    logging.getLogger("pypdf").info("page 1 text: a member's body")
    logging.getLogger("imap_tools").debug("chatter")
    logging.getLogger("mailflow.test").debug("kept")

    assert stream.getvalue().endswith("DEBUG mailflow.test: kept\n")
    assert stream.getvalue().count("\n") == 1


def test_log_setup_twice_keeps_one_handler(
    log_stream: Callable[[str, str], io.StringIO],
) -> None:
    first = log_stream("text", "INFO")
    second = log_stream("json", "INFO")

    logging.getLogger("mailflow.test").info("once")

    assert first.getvalue() == ""
    assert json.loads(second.getvalue())["message"] == "once"


# -- the loop on a Maildir (no server needed) ----------------------------------------------------
def fast_poll(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, imap=dataclasses.replace(settings.imap, poll_interval_s=0.2)
    )


def test_serve_polls_a_maildir_and_records_new_mail(settings: Settings, ledger: Ledger) -> None:
    with Running(fast_poll(settings), ledger):
        deliver_to_maildir(Path(settings.imap.maildir), message(1))
        wait_until(lambda: recorded(ledger) == {"<serve-1@library.test>"}, "mail recorded")


class StopOnFirstRecord(logging.Handler):
    """Asks serve to stop the moment the pipeline logs its first recorded message."""

    def __init__(self, stop: threading.Event) -> None:
        super().__init__()
        self.stop = stop

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("recorded "):
            self.stop.set()


def test_serve_stopped_mid_pass_commits_the_chunk_in_hand_and_returns(
    settings: Settings, ledger: Ledger
) -> None:
    for n in range(3):
        deliver_to_maildir(Path(settings.imap.maildir), message(n))
    one_per_chunk = dataclasses.replace(
        settings, imap=dataclasses.replace(settings.imap, chunk_size=1)
    )
    stop = threading.Event()
    handler = StopOnFirstRecord(stop)
    pipeline_log = logging.getLogger("mailflow.pipeline")
    pipeline_log.addHandler(handler)
    level = pipeline_log.level
    pipeline_log.setLevel(logging.INFO)
    try:
        service.serve(one_per_chunk, ledger, stop=stop, timings=FAST)
    finally:
        pipeline_log.removeHandler(handler)
        pipeline_log.setLevel(level)

    assert len(recorded(ledger)) == 1


def queue_call(ledger: Ledger) -> None:
    with ledger.transaction() as session:
        outbox.queue(
            session,
            kind="call",
            message_id="<call-1@association.test>",
            sender="wsis@association.test",
            recipient="hoa@members.test",
            subject="Call",
            data=b"Subject: Call\r\n\r\nPlease write.\r\n",
        )


def test_serve_delivers_queued_outbox_mail_on_its_timer(settings: Settings, ledger: Ledger) -> None:
    sent = Path(settings.smtp.outdir)
    with Running(fast_poll(settings), ledger):
        queue_call(ledger)
        wait_until(lambda: sent.is_dir() and len(list(sent.iterdir())) == 1, "mail delivered")
    with ledger.transaction() as session:
        assert session.scalars(select(OutboxMail.state)).all() == ["sent"]


def test_second_serve_on_the_same_sqlite_ledger_refuses(
    settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    lock = tmp_path / "ledger.sqlite3.serve.lock"
    with Running(fast_poll(settings), ledger):
        wait_until(lambda: lock.exists() and lock.read_text() == f"{os.getpid()}\n", "lock held")
        with pytest.raises(MailflowError) as refused:
            service.serve(settings, ledger, stop=threading.Event(), timings=FAST)
    assert str(refused.value) == (
        f"another mailflow serve is running for this ledger (pid {os.getpid()}); lock file {lock}"
    )


def test_serve_releases_the_lock_when_it_stops(
    settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    lock = tmp_path / "ledger.sqlite3.serve.lock"
    with Running(fast_poll(settings), ledger):
        wait_until(lambda: lock.exists() and lock.read_text() == f"{os.getpid()}\n", "lock held")
    stop = threading.Event()
    stop.set()

    service.serve(settings, ledger, stop=stop, timings=FAST)  # returns at once, no refusal


def test_serve_records_the_error_and_keeps_retrying_when_the_server_is_down(
    settings: Settings, ledger: Ledger
) -> None:
    port = free_port()  # nothing listens there
    down = dataclasses.replace(
        settings,
        imap=dataclasses.replace(
            settings.imap, maildir="", host="127.0.0.1", port=port, security="none", timeout_s=2.0
        ),
    )
    with Running(down, ledger) as running:
        wait_until(lambda: last_error(ledger) is not None, "error recorded")
        first = last_error(ledger)
        wait_until(lambda: recorded(ledger) == set() and running.alive, "still running")
    assert first is not None
    assert first.startswith(f"SourceError: IMAP server 127.0.0.1:{port}: cannot connect: ")


@pytest.mark.servers
def test_two_serves_share_a_postgresql_ledger_and_record_each_mail_once(
    settings: Settings, pg_url: str
) -> None:
    shared = dataclasses.replace(fast_poll(settings), ledger=LedgerSettings(url=pg_url))
    first, second = Ledger(pg_url), Ledger(pg_url)
    first.upgrade()
    try:
        with Running(shared, first) as one, Running(shared, second) as two:
            for n in range(3):
                deliver_to_maildir(Path(settings.imap.maildir), message(n))
            wait_until(lambda: len(recorded(first)) == 3, "every mail recorded")
            time.sleep(0.5)  # a few more passes of both services
            assert one.alive and two.alive
        with first.transaction() as session:
            assert len(session.scalars(select(InboundMessage.id)).all()) == 3
    finally:
        first.close()
        second.close()


# -- the loop on a real IMAP server ---------------------------------------------------------------
@pytest.mark.servers
def test_serve_records_mail_announced_by_idle(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    config = imap_settings(settings, fresh_mailbox)
    append(fresh_mailbox, message(1))
    caplog.set_level(logging.INFO, logger="mailflow.service")
    with Running(config, ledger):
        wait_until(lambda: recorded(ledger) == {"<serve-1@library.test>"}, "first mail")
        append(fresh_mailbox, message(2))
        wait_until(
            lambda: recorded(ledger) == {"<serve-1@library.test>", "<serve-2@library.test>"},
            "mail appended while serving",
        )
    assert last_error(ledger) is None
    connected = [r.getMessage() for r in caplog.records if r.getMessage().startswith("connected")]
    assert connected == [f"connected to {config.imap.account}; waiting by IMAP IDLE"]


@pytest.mark.servers
def test_serve_delivers_outbox_mail_while_it_idles(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox
) -> None:
    sent = Path(settings.smtp.outdir)
    with Running(imap_settings(settings, fresh_mailbox), ledger):
        wait_until(lambda: service_event(ledger, "last_poll") is not None, "first pass done")
        queue_call(ledger)
        wait_until(lambda: sent.is_dir() and len(list(sent.iterdir())) == 1, "mail delivered")
    assert last_error(ledger) is None


@pytest.fixture
def dovecot_without_idle() -> Iterator[Dovecot]:
    """A private Dovecot whose CAPABILITY does not offer IDLE (the shared one must keep it)."""
    reason = dovecot_available()
    if reason:
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix="mailflow-noidle-"))
    server = Dovecot.start(base)
    try:
        with server.config.open("a") as config:
            config.write("imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE UIDPLUS\n")
        server.restart()
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.servers
def test_serve_polls_a_server_that_does_not_offer_idle(
    settings: Settings,
    ledger: Ledger,
    dovecot_without_idle: Dovecot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mailbox = Mailbox(dovecot_without_idle, "wsis@association.test", SHARED_PASSWORD)
    config = imap_settings(settings, mailbox, poll_interval_s=0.2)
    caplog.set_level(logging.INFO, logger="mailflow.service")
    with Running(config, ledger):
        append(mailbox, message(8))
        wait_until(lambda: recorded(ledger) == {"<serve-8@library.test>"}, "polled mail")
    connected = [r.getMessage() for r in caplog.records if r.getMessage().startswith("connected")]
    assert connected == [f"connected to {config.imap.account}; waiting by polling every 0.2 s"]


@pytest.mark.servers
def test_serve_polls_when_told_not_to_idle(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox
) -> None:
    config = imap_settings(settings, fresh_mailbox, poll_interval_s=0.2)
    with Running(config, ledger, use_idle=False):
        append(fresh_mailbox, message(3))
        wait_until(lambda: recorded(ledger) == {"<serve-3@library.test>"}, "polled mail")
    assert last_error(ledger) is None


@pytest.mark.servers
@pytest.mark.slow
def test_serve_reconnects_after_the_server_restarts(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox, dovecot: Dovecot
) -> None:
    config = imap_settings(settings, fresh_mailbox)
    append(fresh_mailbox, message(4))
    try:
        with Running(config, ledger) as running:
            wait_until(lambda: recorded(ledger) == {"<serve-4@library.test>"}, "first mail")
            dovecot.stop()
            # Dovecot's IMAP processes say BYE 10-30 s after the master went down.
            wait_until(lambda: last_error(ledger) is not None, "the outage noticed", 90.0)
            # Mail keeps arriving at the spool while the IMAP server is down.
            deliver_to_maildir(dovecot.maildir(fresh_mailbox.user), message(5), owner="nobody")
            time.sleep(1.0)  # let a few reconnects fail against the stopped server
            assert running.alive
            dovecot.restart()
            wait_until(
                lambda: recorded(ledger) == {"<serve-4@library.test>", "<serve-5@library.test>"},
                "mail that arrived during the outage",
            )
            assert running.alive
    finally:
        if not listening(dovecot.imap_port):
            dovecot.restart()  # the session's server must stay up for the other tests


# -- the process: signals, the lock between processes, log output --------------------------------
def write_config(tmp_path: Path, settings: Settings, mailbox: Mailbox) -> Path:
    path = tmp_path / "mailflow.toml"
    path.write_text(
        f"""\
[ledger]
url = "{settings.ledger.url}"

[imap]
host = "127.0.0.1"
port = {mailbox.server.imap_port}
security = "none"
user = "{mailbox.user}"
folder = "INBOX"
poll_interval_s = 1

[smtp]
from = "WSIS coordinator <wsis@association.test>"
outdir = "sent"
""",
        encoding="utf-8",
    )
    return path


def serve_command(config: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "mailflow.cli", "--config", str(config), "serve", *options]


@contextmanager
def serve_process(
    config: Path, mailbox: Mailbox, log: Path, *options: str
) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILFLOW_")}
    env["MAILFLOW_IMAP_PASSWORD"] = mailbox.password
    with log.open("wb") as err:
        process = subprocess.Popen(
            serve_command(config, *options),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def lock_holder(tmp_path: Path) -> str:
    lock = tmp_path / "ledger.sqlite3.serve.lock"
    return lock.read_text() if lock.exists() else ""


@pytest.mark.servers
def test_serve_process_exits_0_on_sigterm(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path, settings, fresh_mailbox)
    append(fresh_mailbox, message(6))
    with serve_process(config, fresh_mailbox, tmp_path / "serve.log") as process:
        wait_until(lambda: recorded(ledger) == {"<serve-6@library.test>"}, "mail recorded")

        process.send_signal(signal.SIGTERM)

        assert process.wait(timeout=DEADLINE_S) == 0
    assert lock_holder(tmp_path) == ""


@pytest.mark.servers
def test_second_serve_process_refuses_with_the_holders_pid(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path, settings, fresh_mailbox)
    with serve_process(config, fresh_mailbox, tmp_path / "first.log") as first:
        wait_until(lambda: lock_holder(tmp_path) == f"{first.pid}\n", "first serve running")
        with serve_process(config, fresh_mailbox, tmp_path / "second.log") as second:
            assert second.wait(timeout=DEADLINE_S) == 1
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=DEADLINE_S) == 0
    lock = tmp_path / "ledger.sqlite3.serve.lock"
    assert (tmp_path / "second.log").read_text().splitlines()[-1] == (
        f"Error: another mailflow serve is running for this ledger (pid {first.pid}); "
        f"lock file {lock}"
    )


@pytest.mark.servers
def test_serve_json_logs_parse_carry_message_ids_and_never_the_password(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox, tmp_path: Path
) -> None:
    config = write_config(tmp_path, settings, fresh_mailbox)
    log = tmp_path / "serve.log"
    append(fresh_mailbox, message(7))
    with serve_process(
        config, fresh_mailbox, log, "--log-format", "json", "--log-level", "DEBUG"
    ) as process:
        wait_until(lambda: recorded(ledger) == {"<serve-7@library.test>"}, "mail recorded")
        wait_until(lambda: '"level": "DEBUG"' in log.read_text(encoding="utf-8"), "debug lines")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=DEADLINE_S) == 0
    text = log.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    recorded_lines = [line for line in lines if line["message"].startswith("recorded ")]
    assert [line["message"].split()[1] for line in recorded_lines] == ["<serve-7@library.test>"]
    assert recorded_lines[0]["logger"] == "mailflow.pipeline"
    assert recorded_lines[0]["level"] == "INFO"
    assert {line["level"] for line in lines} >= {"DEBUG", "INFO"}
    passes = [line for line in lines if line["message"].startswith("pass: ")]
    assert (passes[0]["new"], passes[0]["already_recorded"], passes[0]["failed"]) == (1, 0, 0)
    assert fresh_mailbox.password not in text
    assert lines[-1]["message"] == "stopped"
