"""The pure stages of one message: parse, classify, read and understand, without the ledger.

`prepare` turns the raw bytes of a fetched message into a `Prepared`: what the ledger records
about it (Message-ID, sender, subject), what kind of mail it is, and for a contribution its decoded
text and what was understood of it. It reads nothing but its arguments and writes nothing, and
both its arguments and its result pickle, so a poll can run it for a whole chunk in worker
processes (`Preparer`) while the ledger stays in one process. It never raises for any input: a
stage that fails is reported in ``Prepared.error``, and the message is still recorded.
What the ledger then does with a prepared message (judge, record, confirm) is
`mailflow.intake`; the order of the stages is `mailflow.pipeline`.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace
from email.message import EmailMessage

from mailflow.reading import headers, mime
from mailflow.reading.classify import Classification, classify
from mailflow.reading.contribution import Contribution, extract
from mailflow.states import MessageKind

log = logging.getLogger(__name__)

#: Below this many messages a poll prepares them in its own process (workers cost a start-up).
POOL_MIN_MESSAGES = 64


@dataclass(frozen=True)
class Known:
    """What classification needs to know about our own mail (from the ledger and settings)."""

    report_message_ids: frozenset[str] = frozenset()
    own_addresses: frozenset[str] = frozenset()
    member_addresses: frozenset[str] = frozenset()  # a member is never taken for a program


@dataclass(frozen=True)
class Prepared:
    """Everything the pure stages found in one message."""

    message_id: str | None
    sender: str  # the author's address, "" when there is none or it is ambiguous
    subject: str
    authentication_results: tuple[str, ...] = ()
    classification: Classification | None = None
    text: mime.MessageText | None = None  # contributions only
    contribution: Contribution | None = None  # contributions only
    error: str = ""  # "ExceptionClass: message" when a stage failed
    trace: str = ""  # its traceback, for the log


def prepare(raw: bytes, known: Known) -> Prepared:
    """Parse, classify and (for a contribution) read and understand ``raw``; never raises."""
    try:
        message = headers.parse(raw)
        message_id = headers.message_id(message)
        sender = headers.sender(message)[1]
        subject = headers.header(message, "Subject")
    except Exception as exc:  # headers are read leniently; this is a last guard
        return _failed(Prepared(message_id=None, sender="", subject=""), exc)
    found = Prepared(message_id=message_id, sender=sender, subject=subject)
    try:
        classification = classify(
            message,
            report_message_ids=known.report_message_ids,
            own_addresses=known.own_addresses,
            member_addresses=known.member_addresses,
        )
        found = replace(found, classification=classification)
        if classification.kind != MessageKind.CONTRIBUTION:
            return found
        text, contribution = read(raw, message)
        return replace(
            found,
            authentication_results=tuple(headers.all_headers(message, "Authentication-Results")),
            text=text,
            contribution=contribution,
        )
    except Exception as exc:  # hostile input can break any stage; the message stays recorded
        return _failed(found, exc)


def read(raw: bytes, parsed: EmailMessage | None = None) -> tuple[mime.MessageText, Contribution]:
    """What a contribution says: its parts and attachments decoded (`mime.read_message`), then
    understood (`extract`). The one reading step of a poll (`prepare`), of ``reprocess`` and of
    the golden test; `mailflow.reading.validate.judge` is the one judging step after it, given
    the reading's ``problems`` (the limits it hit)."""
    text = mime.read_message(raw, parsed=parsed)
    return text, extract(text)


def _failed(found: Prepared, exc: Exception) -> Prepared:
    return replace(
        found, error=f"{exc.__class__.__name__}: {exc}"[:2000], trace=traceback.format_exc()
    )


class Preparer:
    """Prepares chunks of messages, in worker processes when there are many and cores to spare.

    ``workers`` is the configured count (0: one per CPU core); with 1, or for fewer than
    `POOL_MIN_MESSAGES` messages, everything runs in this process. Use as a context manager: the
    workers are started on the first large chunk and stopped on exit.
    """

    def __init__(self, known: Known, *, workers: int, expected: int) -> None:
        self.known = known
        count = workers or os.cpu_count() or 1
        self._workers = count if count > 1 and expected >= POOL_MIN_MESSAGES else 1
        self._pool: Executor | None = None

    def __enter__(self) -> Preparer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def prepare_all(self, raws: Sequence[bytes]) -> list[Prepared]:
        """The prepared messages, in the order given."""
        return list(self.start(raws))

    def start(self, raws: Sequence[bytes]) -> Iterator[Prepared]:
        """Start preparing ``raws``; the iterator yields the results in order as they are done.

        With workers, the work is under way when this returns, so the caller can record the
        previous chunk meanwhile; without, each message is prepared as the iterator reaches it.
        """
        if self._workers == 1 or len(raws) < 2:
            return (prepare(raw, self.known) for raw in raws)
        pool = self._start()
        # Small slices keep every worker busy to the end of the chunk.
        per_task = max(1, len(raws) // (self._workers * 4))
        return pool.map(prepare, raws, itertools.repeat(self.known, len(raws)), chunksize=per_task)

    def _start(self) -> Executor:
        if self._pool is None:
            # fork starts at once and shares what this process imported; it is only safe while
            # no other thread runs (a `serve` with helper threads uses spawn instead).
            forkable = "fork" in multiprocessing.get_all_start_methods()
            method = "fork" if forkable and threading.active_count() == 1 else "spawn"
            log.debug("starting %d %s workers for the pure stages", self._workers, method)
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                mp_context=multiprocessing.get_context(method),
                initializer=_end_with_parent,
                initargs=(os.getpid(),),
            )
        return self._pool


def _end_with_parent(parent: int) -> None:
    """Make a worker end when, and only when, the poll that started it ends, even by SIGKILL.

    Ctrl-C and SIGTERM reach a whole process group; the poll decides what they mean (finish the
    chunk in hand), so its workers ignore them rather than die with a traceback mid-chunk. A
    forked worker holds both ends of its task pipe, so it would never see the parent go and
    would wait for work for ever: on Linux the kernel sends it SIGKILL when the parent dies;
    elsewhere a thread checks every second.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError):
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # it died before the above took effect
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
