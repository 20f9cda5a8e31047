"""The golden corpus: each tests/golden/NAME.eml read end to end and compared with NAME.json.

A message goes through the same stages as in the pipeline: `headers.parse` + `classify.classify`
for its kind, and `prepare.read` -> `validate.judge` (as a poll and ``reprocess`` do) for what was
understood and the verdict; a case marked ``replying`` is a reply to mailflow from a member who
already contributed, which `mailflow.intake` records as a member note when `validate.is_note`
says so. The expectations were written by hand from the design (see
tests/golden/make_golden.py, which also writes the files); the word count may differ by two.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from support import TESTS

from mailflow.reading import headers
from mailflow.reading.classify import classify
from mailflow.reading.prepare import read
from mailflow.reading.validate import Rules, is_note, judge

GOLDEN = TESTS / "golden"
DEADLINE = datetime.fromisoformat("2025-09-30T23:59:59+07:00")
RECEIVED = datetime.fromisoformat("2025-09-15T09:31:00+07:00")
WORD_TOLERANCE = 2

# Cases where the expectation follows the design but mailflow does not yet; each fails strictly,
# so the marker must go when the behaviour is fixed.
KNOWN_FAILURES: dict[str, str] = {}


def _names() -> list[str]:
    return sorted(path.stem for path in GOLDEN.glob("*.eml"))


def _cases() -> list[object]:
    return [
        pytest.param(
            name,
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[name])]
            if name in KNOWN_FAILURES
            else [],
        )
        for name in _names()
    ]


def test_golden_corpus_is_complete() -> None:
    names = _names()
    assert len(names) >= 40
    assert sorted(path.stem for path in GOLDEN.glob("*.json")) == names


@pytest.mark.parametrize("name", _cases())
def test_golden_message(name: str) -> None:
    raw = (GOLDEN / f"{name}.eml").read_bytes()
    expected = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))

    parsed = headers.parse(raw)
    kind = str(classify(parsed).kind)
    text, contribution = read(raw, parsed)
    rules = Rules(word_limit=200, deadline=DEADLINE)
    verdict = judge(
        contribution,
        is_member=True,
        received_at=RECEIVED,
        authentication_results=[],
        rules=rules,
        problems=text.problems,
    )
    # A reply to mailflow from a member who already contributed: `mailflow.intake`'s rule.
    note = expected.get("replying") and kind == "contribution" and is_note(contribution, rules)

    got = {
        "kind": "member_note" if note else kind,
        "status": "none" if note else str(verdict.status),
        "action_lines": sorted(contribution.action_lines),
        "links": sorted(contribution.links),
        "issues": [] if note else sorted(verdict.codes()),
        "language": contribution.language,
    }
    wanted = {
        "kind": expected["kind"],
        "status": expected["status"],
        "action_lines": sorted(expected["action_lines"]),
        "links": sorted(expected["links"]),
        "issues": sorted(expected["issues"]),
        "language": expected["language"],
    }
    assert got == wanted, name
    if "sender" in expected:
        assert headers.sender(parsed)[1] == expected["sender"], name
    difference = abs(contribution.word_count - expected["word_count"])
    assert difference <= WORD_TOLERANCE, (
        f"{name}: {contribution.word_count} words, expected {expected['word_count']}"
    )
