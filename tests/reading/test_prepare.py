"""The pure stages run apart from the ledger: in worker processes, batched, and with a fallback."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select
from support import CORPUS

from mailflow import intake as processing
from mailflow import members, pipeline
from mailflow.config import Settings
from mailflow.ledger import Ledger
from mailflow.ledger.models import InboundMessage, OutboxMail, Submission
from mailflow.reading.prepare import Known, Preparer, prepare
from mailflow.states import MessageKind

MEMBER = "From: {name} <m{n}@members.test>\r\nTo: wsis@association.test\r\n"
CONTRIBUTION = (
    MEMBER + "Subject: WSIS {n}\r\nMessage-ID: <p{n}@members.test>\r\n\r\n"
    "Action lines: C3\r\nWhy: we lend e-readers in {n} villages. https://lib{n}.example.org\r\n"
)


def corpus_sample(count: int) -> list[bytes]:
    files = sorted(p for p in CORPUS.rglob("*.eml") if p.is_file())
    return [p.read_bytes() for p in files[:count]]


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not on this machine")
def test_workers_prepare_exactly_what_one_process_prepares() -> None:
    raws = [CONTRIBUTION.format(name="Hoa", n=n).encode() for n in range(20)]
    raws += corpus_sample(60)
    known = Known(own_addresses=frozenset({"wsis@association.test"}))

    with Preparer(known, workers=1, expected=len(raws)) as alone:
        expected = alone.prepare_all(raws)
    with Preparer(known, workers=2, expected=len(raws)) as pool:
        assert pool._workers == 2
        got = pool.prepare_all(raws)

    assert [dataclasses.replace(p, trace="") for p in got] == [
        dataclasses.replace(p, trace="") for p in expected
    ]
    assert sum(p.contribution is not None for p in got) >= 20


def test_small_polls_stay_in_process() -> None:
    assert Preparer(Known(), workers=4, expected=10)._workers == 1
    assert Preparer(Known(), workers=1, expected=10_000)._workers == 1


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_prepare_never_raises(raw: bytes) -> None:
    found = prepare(raw, Known())

    assert found.error or found.classification is not None


def test_prepare_reports_a_failing_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    from mailflow.reading import prepare as module

    def broken(text: object) -> object:
        raise ValueError("stage broke")

    monkeypatch.setattr(module, "extract", broken)
    found = prepare(CONTRIBUTION.format(name="Hoa", n=1).encode(), Known())

    assert found.error == "ValueError: stage broke"
    assert "stage broke" in found.trace
    assert found.message_id == "<p1@members.test>"
    assert (
        found.classification is not None and found.classification.kind == MessageKind.CONTRIBUTION
    )


def deliver(maildir: str, name: str, raw: str) -> None:
    (Path(maildir) / "new" / name).write_bytes(raw.encode())


def add_members(ledger: Ledger, numbers: range) -> None:
    with ledger.transaction() as session:
        for n in numbers:
            members.upsert(session, [f"m{n}@members.test"], name=f"Member {n}", language="en")


def outcomes(ledger: Ledger) -> list[tuple[str | None, str, str | None, int | None]]:
    with ledger.transaction() as session:
        return [
            (row.message_id, row.state, row.status, row.version)
            for row in session.execute(
                select(
                    InboundMessage.message_id,
                    InboundMessage.state,
                    Submission.status,
                    Submission.version,
                )
                .outerjoin(Submission, Submission.inbound_id == InboundMessage.id)
                .order_by(InboundMessage.message_id)
            )
        ]


def test_a_large_poll_with_workers_records_what_one_process_records(
    settings: Settings, ledger: Ledger, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    for sub in ("new", "cur", "tmp"):
        (other / "Maildir" / sub).mkdir(parents=True)
    alone_settings = dataclasses.replace(
        settings,
        ledger=dataclasses.replace(settings.ledger, url=f"sqlite:///{other / 'ledger.db'}"),
        imap=dataclasses.replace(settings.imap, maildir=str(other / "Maildir"), workers=1),
    )
    many = dataclasses.replace(settings, imap=dataclasses.replace(settings.imap, workers=2))
    alone = Ledger(alone_settings.ledger.url)
    alone.upgrade()
    for book in (ledger, alone):
        add_members(book, range(40))
    for n in range(80):  # members 0-39 write twice: the second mail supersedes the first
        raw = CONTRIBUTION.format(name="M", n=n).replace(f"<m{n}@", f"<m{n % 40}@")
        for maildir in (many.imap.maildir, alone_settings.imap.maildir):
            deliver(maildir, f"{n:03d}.mail", raw)

    summary = pipeline.run_once(many, ledger, send=False)
    pipeline.run_once(alone_settings, alone, send=False)
    expected = outcomes(alone)
    alone.close()

    assert (summary.new, summary.confirmations_queued) == (80, 80)
    assert outcomes(ledger) == expected
    assert sorted(status for _, _, status, _ in outcomes(ledger)) == (
        ["accepted"] * 40 + ["superseded"] * 40
    )


def test_a_poll_leaves_the_garbage_collector_as_it_found_it(
    settings: Settings, ledger: Ledger
) -> None:
    import gc

    add_members(ledger, range(3))
    for n in range(3):
        deliver(settings.imap.maildir, f"{n}.mail", CONTRIBUTION.format(name="M", n=n))
    before = (gc.get_threshold(), gc.get_freeze_count())

    summary = pipeline.run_once(settings, ledger, send=False)

    assert summary.new == 3
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_a_chunk_the_database_refuses_is_written_message_by_message(
    settings: Settings, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_members(ledger, range(5))
    for n in range(5):
        deliver(settings.imap.maildir, f"{n}.mail", CONTRIBUTION.format(name="M", n=n))
    original = processing._process

    def refuse_one(session, inbound, prepared, context, *, pending):  # type: ignore[no-untyped-def]
        if inbound.message_id == "<p3@members.test>":
            raise RuntimeError("refused")
        return original(session, inbound, prepared, context, pending=pending)

    monkeypatch.setattr(processing, "_process", refuse_one)

    summary = pipeline.run_once(settings, ledger, send=False)

    assert (summary.new, summary.failed, summary.confirmations_queued) == (5, 1, 4)
    with ledger.transaction() as session:
        states = {
            m: s
            for m, s in session.execute(select(InboundMessage.message_id, InboundMessage.state))
        }
        errors = list(
            session.scalars(select(InboundMessage.error).where(InboundMessage.error != ""))
        )
        submissions = session.scalar(select(Submission.id).order_by(Submission.id.desc()))
        queued = list(session.scalars(select(OutboxMail.recipient).order_by(OutboxMail.recipient)))
    assert states["<p3@members.test>"] == "failed"
    assert sorted(states.values()) == ["failed"] + ["processed"] * 4
    assert errors == ["RuntimeError: refused"]
    assert submissions is not None
    assert queued == [f"m{n}@members.test" for n in (0, 1, 2, 4)]


#: Starts workers, prints their pids, then waits to be killed.
WORKERS_THEN_WAIT = """
import sys, time
from mailflow.reading.prepare import Known, Preparer
pure = Preparer(Known(), workers=2, expected=100)
pure.prepare_all([b"Subject: x\\r\\n\\r\\nhello"] * 8)
print(" ".join(str(pid) for pid in pure._pool._processes), flush=True)
time.sleep(600)
"""


def test_workers_end_when_the_poll_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", WORKERS_THEN_WAIT], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()

    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def test_workers_leave_ctrl_c_and_sigterm_to_the_poll() -> None:
    raws = [CONTRIBUTION.format(name="Hoa", n=n).encode() for n in range(4)]
    with Preparer(Known(), workers=2, expected=100) as pool:
        pool.prepare_all(raws)
        workers = list(pool._pool._processes)  # type: ignore[union-attr]
        for pid in workers:
            os.kill(pid, signal.SIGINT)
            os.kill(pid, signal.SIGTERM)
        time.sleep(0.5)

        assert all(_alive(pid) for pid in workers)
        assert [p.message_id for p in pool.prepare_all(raws)] == [
            f"<p{n}@members.test>" for n in range(4)
        ]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its parent's wait is missing


def test_workers_are_spawned_when_other_threads_run() -> None:
    raws = [CONTRIBUTION.format(name="Hoa", n=n).encode() for n in range(4)]
    stop = threading.Event()
    helper = threading.Thread(target=stop.wait)
    helper.start()
    try:
        with Preparer(Known(), workers=2, expected=100) as pool:
            got = pool.prepare_all(raws)
            context = pool._pool._mp_context  # type: ignore[union-attr]
    finally:
        stop.set()
        helper.join()

    assert context.get_start_method() == "spawn"
    assert [p.message_id for p in got] == [f"<p{n}@members.test>" for n in range(4)]
    assert all(p.contribution is not None and not p.error for p in got)


def test_prepare_a_members_noreply_looking_address_stays_a_contribution() -> None:
    raw = (
        b"From: Library <noreply@lib.example.vn>\r\nTo: wsis@association.test\r\n"
        b"Subject: WSIS 2025\r\nMessage-ID: <m1@lib.example.vn>\r\n\r\n"
        b"Action lines: C3\r\nWhy: we lend e-readers in villages.\r\n"
    )
    stranger = prepare(raw, Known())
    member = prepare(raw, Known(member_addresses=frozenset({"noreply@lib.example.vn"})))
    assert stranger.classification is not None and member.classification is not None
    assert (stranger.classification.kind, member.classification.kind) == (
        MessageKind.AUTOMATED,
        MessageKind.CONTRIBUTION,
    )
    assert member.contribution is not None and member.contribution.action_lines == ("C3",)
