"""`mailflow serve`: run passes of the pipeline for months, unattended, until told to stop.

`serve` holds one connection to the mailbox and lends it to each `pipeline.run_once` pass (reusing
it saves a login per pass: on loopback 17 ms per empty pass instead of 44 ms, more with TLS over a
real network). Between passes it waits in IMAP IDLE (RFC 2177) when the server offers it,
re-issuing IDLE well before the 29-minute limit and watching the socket in short steps so a stop
request is noticed within about a second; TCP keepalive and the IMAP socket timeout make a
connection that died silently fail instead of hang. Servers without IDLE, and the Maildir source,
are polled every ``imap.poll_interval_s``; with IDLE a full pass still runs every ``full_pass_s``.
The outbox is delivered after each pass and on its own timer, so retries leave on their schedule.
Any connection, server or ledger error (a `MailflowError`: the source and the ledger translate
what their libraries raise) is recorded for ``mailflow status`` with `pipeline.note_error`, the
connection is dropped, and the service reconnects after an exponential backoff with jitter: it
never exits on one.
SIGTERM/SIGINT set a stop event; a pass stops after the chunk it is committing, connections are
closed and `serve` returns (a second signal stops at once). On SQLite only one `serve` may run per
ledger: an ``fcntl.flock`` on a lock file beside the database enforces it (the kernel releases it
on exit or crash); PostgreSQL ledgers allow several. The order of the stages lives in
`mailflow.pipeline`, delivery in `mailflow.answering.outbox`, log formatting in `mailflow.logs`.
With OAuth2 the service holds one `Credentials` for IMAP and one for SMTP, whose tokens are
refreshed on its ``clock``; each pass and each flush is reported to `mailflow.alerts`, which
mails the coordinator when mail stops flowing for longer than ``alerts.after_minutes``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from sqlalchemy.engine import make_url

from mailflow import pipeline
from mailflow.alerts import Alerts, needs_a_person
from mailflow.answering import outbox
from mailflow.auth import Clock, utc_now
from mailflow.config import Settings
from mailflow.errors import MailflowError, SourceError
from mailflow.ledger import Ledger
from mailflow.ledger.tokens import credentials_for
from mailflow.sources import ImapSource, Source, open_source
from mailflow.sources.base import FetchedMessage

log = logging.getLogger("mailflow.service")  # also when run as `python -m mailflow.service`

#: Errors after which the service drops its connections, waits and tries again: mailflow's own,
#: since the ledger and the sources translate what their libraries raise.
RETRYABLE: tuple[type[BaseException], ...] = (MailflowError,)


@dataclass(frozen=True)
class Timings:
    """How the service paces itself; the defaults suit a real mailbox, tests shorten them."""

    idle_max_s: float = 25 * 60  # re-issue IDLE before RFC 2177's 29 minutes
    check_s: float = 1.0  # how often a wait looks at the stop event
    full_pass_s: float = 15 * 60  # a pass even when IDLE announced nothing
    flush_s: float = 60.0  # outbox timer, so retries leave on their schedule
    backoff_min_s: float = 2.0
    backoff_max_s: float = 300.0


def backoff_delay(
    failures: int, timings: Timings, *, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after ``failures`` failures in a row: doubling, capped, half of it random.

    The random half spreads the reconnects of several services after a shared outage.
    """
    doublings = min(max(failures - 1, 0), 32)
    ceiling = min(timings.backoff_max_s, timings.backoff_min_s * 2.0**doublings)
    return ceiling / 2 + ceiling / 2 * rand()


# -- one instance per SQLite ledger -----------------------------------------------------------
def lock_path(ledger: Ledger) -> Path | None:
    """The lock file beside a SQLite ledger; None when several services may share the ledger."""
    if not ledger.is_sqlite:
        return None
    database = make_url(ledger.url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database)
    return path.with_name(path.name + ".serve.lock")


@contextmanager
def instance_lock(ledger: Ledger) -> Iterator[None]:
    """Hold the ledger's serve lock, or raise `MailflowError` naming the process that has it."""
    path = lock_path(ledger)
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise MailflowError(
                f"another mailflow serve is running for this ledger (pid {holder}); "
                f"lock file {path}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# -- signals ----------------------------------------------------------------------------------
@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set ``stop`` on SIGTERM and SIGINT while inside; the previous handlers come back after.

    A second signal raises `KeyboardInterrupt` for someone who cannot wait. Main thread only.
    """

    def handler(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            # Asked twice: leave now. The open transaction rolls back; nothing is lost.
            log.warning("%s received again; stopping at once", name)
            raise KeyboardInterrupt
        log.info("%s received; stopping after the work in hand", name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


# -- the loop ---------------------------------------------------------------------------------
class _Stopped(Exception):
    """Raised from the pass's progress callback once a stop was requested (after a commit)."""


def serve(
    settings: Settings,
    ledger: Ledger,
    *,
    stop: threading.Event | None = None,
    timings: Timings | None = None,
    use_idle: bool = True,
    clock: Clock = utc_now,
) -> None:
    """Run passes until ``stop`` is set (or, without one, until SIGTERM/SIGINT); then return.

    Raises `MailflowError` only before it starts (another `serve` holds the SQLite ledger);
    errors while running are logged, recorded for ``status`` and retried with backoff.
    ``clock`` is the wall clock of OAuth2 token expiry and of alerts (a test's runs faster).
    """
    if stop is None:
        own = threading.Event()
        with stop_on_signals(own):
            serve(settings, ledger, stop=own, timings=timings, use_idle=use_idle, clock=clock)
        return
    with instance_lock(ledger):
        _Service(settings, ledger, stop, timings or Timings(), use_idle, clock).run()


class _Service:
    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        stop: threading.Event,
        timings: Timings,
        use_idle: bool,
        clock: Clock = utc_now,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.stop = stop
        self.timings = timings
        self.use_idle = use_idle
        self.source: Source | None = None
        self.idle = False  # the open connection is IMAP with IDLE
        self.last_flush = float("-inf")
        self.connected_at: float | None = None
        # OAuth2 tokens (when imap.auth / smtp.auth say so) and alerts: see mailflow.alerts.
        self.imap_credentials = credentials_for(settings, ledger, "imap", clock=clock)
        self.smtp_credentials = credentials_for(settings, ledger, "smtp", clock=clock)
        self.alerts = Alerts(settings, ledger, credentials=self.smtp_credentials, clock=clock)

    def connected_for(self) -> float:
        """Seconds the current connection has been up (0 when there is none)."""
        return 0.0 if self.connected_at is None else time.monotonic() - self.connected_at

    def run(self) -> None:
        s = self.settings.imap
        log.info(
            "serving %s folder %s (ledger %s)",
            s.account,
            "maildir" if s.maildir else s.folder,
            self.ledger.safe_url,
        )
        failures = 0
        try:
            while not self.stop.is_set():
                try:
                    self._connect()
                    self._pass()
                    self.alerts.succeeded("fetch")
                    if self.stop.is_set():
                        break
                    self._flush()
                    self._wait_for_news()
                except _Stopped:
                    break
                except RETRYABLE as exc:
                    # A connection that lived a while counts as a fresh start, so a server that
                    # drops every connection at once still sees the delay grow.
                    lived = self.connected_for()
                    failures = 1 if lived > self.timings.backoff_max_s else failures + 1
                    self._disconnect()
                    # A refused login, a lost sign-in or an untrusted certificate needs a person:
                    # retry slowly.
                    hopeless = needs_a_person(exc) or (
                        isinstance(exc, SourceError) and not exc.retryable
                    )
                    delay = backoff_delay(failures if not hopeless else 64, self.timings)
                    level = logging.ERROR if hopeless else logging.WARNING
                    log.log(level, "%s: %s; retrying in %.0f s", _name(exc), exc, delay)
                    pipeline.note_error(self.ledger, exc)
                    self.alerts.failed("fetch", exc)
                    self.stop.wait(delay)
                except Exception as exc:  # a bug: say so, and let the supervisor restart us
                    log.exception("unexpected error; stopping")
                    pipeline.note_error(self.ledger, exc)
                    raise
        finally:
            self._disconnect()
            log.info("stopped")

    # -- connection ---------------------------------------------------------------------------
    def _connect(self) -> None:
        if self.source is not None:
            return
        source = open_source(self.settings.imap, self.imap_credentials)
        source.__enter__()
        self.source = source
        if isinstance(source, ImapSource):
            source.keep_alive()
        self.idle = self.use_idle and isinstance(source, ImapSource) and source.offers_idle()
        self.connected_at = time.monotonic()
        log.info(
            "connected to %s; waiting by %s",
            source.account,
            "IMAP IDLE" if self.idle else f"polling every {self.settings.imap.poll_interval_s} s",
        )

    def _disconnect(self) -> None:
        source, self.source = self.source, None
        self.connected_at = None
        if source is None:
            return
        try:
            source.__exit__(None, None, None)
        except Exception:  # the connection may be dead already; nothing is lost
            log.debug("closing the mailbox failed", exc_info=True)

    # -- work ---------------------------------------------------------------------------------
    def _pass(self) -> None:
        assert self.source is not None
        if isinstance(self.source, ImapSource):
            self.source.take_news()  # what arrives from now on asks for another pass

        def progress(_done: int, _total: int) -> None:
            if self.stop.is_set():  # called right after a chunk's commit
                raise _Stopped

        summary = pipeline.run_once(
            self.settings, self.ledger, send=False, source=_Lent(self.source), progress=progress
        )
        level = logging.INFO if summary.new or summary.failed else logging.DEBUG
        fields = {"new": summary.new, "already_recorded": summary.already_recorded}
        log.log(level, "pass: %s", summary.line(), extra={**fields, "failed": summary.failed})

    def _flush(self) -> None:
        """Deliver due outbox mail; a delivery problem never touches the mailbox connection."""
        self.last_flush = time.monotonic()
        try:
            counts = outbox.flush(self.settings, self.ledger, credentials=self.smtp_credentials)
        except RETRYABLE as exc:
            log.warning("outbox: %s: %s", _name(exc), exc)
            pipeline.note_error(self.ledger, exc)
            self.alerts.failed("send", exc)
            return
        self.alerts.delivered(counts)
        if counts:
            text = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
            log.info("outbox: %s", text, extra={"outbox": counts})

    def _wait_for_news(self) -> None:
        """Wait until a pass is due (news, timer) or a stop; flush the outbox meanwhile."""
        t = self.timings
        interval = t.full_pass_s if self.idle else self.settings.imap.poll_interval_s
        next_pass = time.monotonic() + interval
        while not self.stop.is_set():
            now = time.monotonic()
            if now >= next_pass:
                return
            if self.idle:
                # Delivering mail does not touch the mailbox, so it happens inside IDLE.
                assert isinstance(self.source, ImapSource)
                until = min(next_pass, now + t.idle_max_s)
                log.debug("IDLE for up to %.1f s", until - now)
                if self.source.idle(self.stop, until, t.check_s, self._flush_if_due):
                    log.debug("IDLE: new mail announced")
                    return
            else:
                self.stop.wait(min(next_pass, self.last_flush + t.flush_s) - now)
                self._flush_if_due()

    def _flush_if_due(self) -> None:
        if time.monotonic() >= self.last_flush + self.timings.flush_s:
            self._flush()


def _name(exc: BaseException) -> str:
    return exc.__class__.__name__


class _Lent:
    """An open source lent to one pass: entering it does not connect, leaving does not close."""

    def __init__(self, source: Source) -> None:
        self._source = source
        self.account = source.account
        self.folder = source.folder
        self.uses_uids = source.uses_uids

    def __enter__(self) -> Source:
        return self._source

    def __exit__(self, *exc: object) -> None:
        return None

    def uidvalidity(self) -> int:
        return self._source.uidvalidity()

    def new_keys(self, after_uid: int) -> list[str]:
        return self._source.new_keys(after_uid)

    def fetch(self, keys: Sequence[str], chunk_size: int) -> Iterator[list[FetchedMessage]]:
        return self._source.fetch(keys, chunk_size)

    def mark_processed(self, keys: Sequence[str]) -> None:
        self._source.mark_processed(keys)
