"""The state machines: every forbidden move is refused, every allowed one applies, words stay."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pytest

from mailflow.errors import StateError
from mailflow.states import (
    INBOUND,
    MACHINES,
    OUTBOX,
    REPORT,
    SUBMISSION,
    Machine,
    MessageKind,
    OutboxState,
    check,
    move,
)


@dataclass
class Row:
    """Stands for any ledger row: `move` reads and writes one attribute by name."""

    id: int
    state: str = ""
    status: str = ""


def _moves(allowed: bool) -> list[tuple[Machine[StrEnum], StrEnum, StrEnum]]:
    return [
        (machine, current, target)
        for machine in MACHINES.values()
        for current in machine.moves
        for target in machine.moves
        if machine.allows(current, target) is allowed
    ]


def _id(value: object) -> str:
    return value.name if isinstance(value, Machine) else str(value)


@pytest.mark.parametrize(("machine", "current", "target"), _moves(allowed=False), ids=_id)
def test_move_forbidden_is_refused_and_changes_nothing(
    machine: Machine[StrEnum], current: StrEnum, target: StrEnum
) -> None:
    row = Row(id=7, **{machine.attribute: current.value})

    with pytest.raises(StateError) as raised:
        move(row, target)

    assert str(raised.value) == f"{machine.name} 7: {current} -> {target} is not allowed"
    assert getattr(row, machine.attribute) == current.value


@pytest.mark.parametrize(("machine", "current", "target"), _moves(allowed=True), ids=_id)
def test_move_allowed_sets_the_value(
    machine: Machine[StrEnum], current: StrEnum, target: StrEnum
) -> None:
    row = Row(id=7, **{machine.attribute: current.value})

    move(row, target)

    assert getattr(row, machine.attribute) == target.value
    assert type(getattr(row, machine.attribute)) is str


def test_machines_cover_every_state_of_their_enum() -> None:
    assert {kind: set(machine.moves) for kind, machine in MACHINES.items()} == {
        kind: set(kind) for kind in MACHINES
    }


def test_machines_allowed_moves() -> None:
    table = {
        machine.name: sorted(f"{a} -> {b}" for a in machine.moves for b in machine.moves[a])
        for machine in (INBOUND, SUBMISSION, OUTBOX, REPORT)
    }
    assert table == {
        "inbound message": ["recorded -> failed", "recorded -> processed"],
        "submission": sorted(
            f"{a} -> {b}"
            for a in ("accepted", "needs_revision", "held")
            for b in ("accepted", "needs_revision", "held", "rejected", "superseded")
            if a != b
        ),
        "outbox mail": [
            "failed -> queued",
            "queued -> failed",
            "queued -> sending",
            "sending -> failed",
            "sending -> queued",
            "sending -> sent",
            "sent -> bounced",
        ],
        "report": [
            "bounced -> acknowledged",
            "draft -> sent",
            "sent -> acknowledged",
            "sent -> bounced",
        ],
    }


def test_check_accepts_a_stored_string_and_names_the_row() -> None:
    check("<a@b>", "queued", OutboxState.SENDING)

    with pytest.raises(StateError) as raised:
        check("<a@b>", "sent", OutboxState.SENDING)

    assert str(raised.value) == "outbox mail <a@b>: sent -> sending is not allowed"


def test_move_names_the_row_by_what_when_given() -> None:
    row = Row(id=3, state="bounced")

    with pytest.raises(StateError) as raised:
        move(row, OutboxState.QUEUED, what="<m@x>")

    assert str(raised.value) == "outbox mail <m@x>: bounced -> queued is not allowed"


def test_stored_words_never_change() -> None:
    """These strings are in ledgers and in the JSON contract of design.md §7."""
    assert {kind.__name__: [str(v) for v in kind] for kind in (*MACHINES, MessageKind)} == {
        "InboundState": ["recorded", "processed", "failed"],
        "SubmissionStatus": ["accepted", "needs_revision", "held", "rejected", "superseded"],
        "OutboxState": ["queued", "sending", "sent", "failed", "bounced"],
        "ReportState": ["draft", "sent", "acknowledged", "bounced"],
        "MessageKind": [
            "contribution",
            "auto_reply",
            "bounce",
            "automated",
            "acknowledgement",
            "member_note",
            "other",
            "unknown",
        ],
    }
