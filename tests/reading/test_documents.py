"""Hostile documents are read in bounded memory and time (tests/support/bombs.py builds them).

Memory is measured in a fresh interpreter (peak RSS before and after one `read_message`), so
what this process already holds does not count.
"""

from __future__ import annotations

import gc
import json
import signal
import subprocess
import sys
import time

import pytest
from support import TESTS, bombs

from mailflow.reading.documents import Budget, DocumentTimeout, Limits, deadline, read_docx
from mailflow.reading.mime import read_message

#: Reads one attachment built by ``bombs.<builder>(<size>)``; prints the outcome and peak RSS.
MEASURED_READ = """
import json, sys, time
def peak_kib():  # VmHWM: ru_maxrss would carry over the forking test session's peak
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
sys.path.insert(0, sys.argv[1])
from support import bombs
from mailflow.reading.mime import read_message
raw = bombs.attached(getattr(bombs, sys.argv[2])(int(sys.argv[3])), sys.argv[4], sys.argv[5])
before = peak_kib()
start = time.monotonic()
(attachment,) = read_message(raw).attachments
print(json.dumps({
    "problem": attachment.problem,
    "seconds": time.monotonic() - start,
    "grew_mib": (peak_kib() - before) / 1024,
}))
"""


def measured(builder: str, size: int, filename: str, ctype: str) -> dict[str, object]:
    """The outcome of reading one hostile document, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURED_READ, str(TESTS), builder, str(size), filename, ctype],
        capture_output=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.decode().splitlines()[-1])
    return result


@pytest.mark.slow
def test_docx_with_forged_sizes_inflates_only_what_it_declares() -> None:
    # 256 MiB of XML declared as 4 KiB: the old read inflated it all at once (547 MiB peak).
    result = measured("forged_docx", 256 << 20, "report.docx", bombs.DOCX_TYPE)

    assert result["problem"] == "unreadable"  # its checksum fails at the declared end
    assert result["grew_mib"] < 50, result


@pytest.mark.parametrize(
    ("builder", "filename", "ctype"),
    [("dense_docx", "report.docx", bombs.DOCX_TYPE), ("dense_odt", "report.odt", bombs.ODT_TYPE)],
)
def test_dense_legal_document_over_the_xml_cap_is_refused_at_once(
    builder: str, filename: str, ctype: str
) -> None:
    # 29 MiB of legal XML in 0.1 MB: read whole, it took 30 s and 1.5 GB (.odt).
    result = measured(builder, 29 << 20, filename, ctype)

    assert result["problem"] == "zip_bomb"
    assert result["grew_mib"] < 50, result
    assert result["seconds"] < 2, result


def test_document_text_is_cut_at_the_text_cap_before_anything_else() -> None:
    document = bombs.dense_docx(2 << 20)  # about 1.3 million characters of text

    (attachment,) = read_message(
        bombs.attached(document, "report.docx", bombs.DOCX_TYPE)
    ).attachments

    assert len(attachment.text) == Limits().max_text_chars == 200_000
    assert attachment.problem is None


def test_dense_pdf_is_stopped_at_the_message_budget() -> None:
    document = bombs.dense_pdf(10 << 20)  # 0.03 MB; pypdf took 83 s on such a page
    started = time.monotonic()

    message = read_message(
        bombs.attached(document, "report.pdf", "application/pdf"), Limits(max_seconds=1.5)
    )

    assert time.monotonic() - started < 30  # stopped: pypdf alone takes 83 s on it
    assert [(a.filename, a.problem) for a in message.attachments] == [("report.pdf", "timeout")]
    assert "timeout" in message.problems


def test_deadline_interrupts_a_reader_wherever_it_is() -> None:
    budget = Budget.start(Limits(max_seconds=0.2))
    handler, hook = signal.getsignal(signal.SIGALRM), sys.unraisablehook
    started = time.monotonic()

    with pytest.raises(DocumentTimeout), deadline(budget):
        while True:  # a reader stuck in a loop of its own
            pass

    assert time.monotonic() - started < 30  # stopped: the loop has no end of its own
    assert (signal.getsignal(signal.SIGALRM), sys.unraisablehook) == (handler, hook)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_timeout_swallowed_by_a_gc_callback_is_not_reported_and_still_stops() -> None:
    """Python prints "Exception ignored in ..." (sys.unraisablehook) for an exception raised in a
    gc callback or a finaliser; a `DocumentTimeout` that lands there is the budget's own, the timer
    fires again, and nothing reaches the hook."""
    reported: list[BaseException | None] = []

    def slow_callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            until = time.monotonic() + 0.3
            while time.monotonic() < until:  # the timer fires in here
                pass

    hook, sys.unraisablehook = sys.unraisablehook, lambda u: reported.append(u.exc_value)
    gc.callbacks.append(slow_callback)
    started = time.monotonic()
    try:
        with pytest.raises(DocumentTimeout), deadline(Budget.start(Limits(max_seconds=0.1))):
            gc.collect()
            while True:  # the reader goes on after the collection
                pass
    finally:
        gc.callbacks.remove(slow_callback)
        sys.unraisablehook = hook

    assert reported == []
    assert time.monotonic() - started < 30  # stopped: the loop has no end of its own


def test_deadline_leaves_a_fast_reader_alone() -> None:
    budget = Budget.start(Limits())
    document = bombs.dense_docx(4096)

    with deadline(budget):
        text, links, problem = read_docx(document, budget)

    assert (text.count("villages"), links, problem) == (text.count("\n") + 1, [], None)
