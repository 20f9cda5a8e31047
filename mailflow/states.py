"""mailflow's vocabulary of kinds, statuses and states, and the moves allowed between states.

Every word here is stored in the ledger and appears in the JSON of design.md §7, so the string
values never change. Each machine lists its allowed moves in one table, and `move` is the one way
code changes a row's state: it refuses anything the table does not list with a `StateError`
(`check` does the same for a move written as a bulk UPDATE, without a row object). This module
knows no SQLAlchemy: the columns that hold these words are in `mailflow.ledger.models`; who moves
a row, and when, is in the modules that own the row (`mailflow.intake`, `mailflow.submissions`,
`mailflow.campaign.review`, `mailflow.answering.outbox`, `mailflow.campaign.reporting`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from mailflow.errors import StateError

__all__ = [
    "CONFIRMED_STATUSES",
    "INBOUND",
    "MACHINES",
    "OUTBOX",
    "REPLACEABLE_STATUSES",
    "REPORT",
    "SUBMISSION",
    "InboundState",
    "Machine",
    "MessageKind",
    "OutboxState",
    "ReportState",
    "SubmissionStatus",
    "check",
    "move",
]


class MessageKind(StrEnum):
    """What an inbound message is: `mailflow.reading.classify` decides the kind of mail,
    `mailflow.intake` tells a member note from a contribution; ``unknown`` until then."""

    CONTRIBUTION = "contribution"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    AUTOMATED = "automated"
    ACKNOWLEDGEMENT = "acknowledgement"
    MEMBER_NOTE = "member_note"  # a member's short reply ("Thanks!"): shown, never a version
    OTHER = "other"
    UNKNOWN = "unknown"  # recorded, not yet classified


class InboundState(StrEnum):
    RECORDED = "recorded"  # raw bytes stored, later stages not yet run
    PROCESSED = "processed"
    FAILED = "failed"  # a later stage raised; error says why; the message stays recorded


class SubmissionStatus(StrEnum):
    ACCEPTED = "accepted"
    NEEDS_REVISION = "needs_revision"
    HELD = "held"  # waits for a coordinator's review
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a later version of the same author exists


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"


class ReportState(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    BOUNCED = "bounced"


#: Statuses whose member gets a confirmation (a held one waits for review, a rejected one never).
CONFIRMED_STATUSES = frozenset({SubmissionStatus.ACCEPTED, SubmissionStatus.NEEDS_REVISION})
#: Statuses a later version of the same author replaces (`superseded`); a decision stays.
REPLACEABLE_STATUSES = frozenset(
    {SubmissionStatus.ACCEPTED, SubmissionStatus.NEEDS_REVISION, SubmissionStatus.HELD}
)

S = TypeVar("S", bound=StrEnum)


@dataclass(frozen=True)
class Machine(Generic[S]):
    """One state machine: what its rows are called, which attribute holds the state, the moves."""

    name: str
    attribute: str
    moves: Mapping[S, frozenset[S]]

    def allows(self, current: S | str, target: S) -> bool:
        """Whether a row in ``current`` (the enum, or the word as stored) may move to ``target``."""
        return target in self.moves[type(target)(current)]


INBOUND: Machine[InboundState] = Machine(
    "inbound message",
    "state",
    {
        InboundState.RECORDED: frozenset({InboundState.PROCESSED, InboundState.FAILED}),
        InboundState.PROCESSED: frozenset(),
        InboundState.FAILED: frozenset(),
    },
)

_OPEN = REPLACEABLE_STATUSES
SUBMISSION: Machine[SubmissionStatus] = Machine(
    "submission",
    "status",
    {
        # An open status changes when a coordinator reviews a held submission, when `reprocess`
        # judges the stored bytes again, or when a later version supersedes it. Rejected and
        # superseded are final.
        **{
            status: frozenset({*_OPEN, SubmissionStatus.REJECTED, SubmissionStatus.SUPERSEDED})
            - {status}
            for status in _OPEN
        },
        SubmissionStatus.REJECTED: frozenset(),
        SubmissionStatus.SUPERSEDED: frozenset(),
    },
)

OUTBOX: Machine[OutboxState] = Machine(
    "outbox mail",
    "state",
    {
        OutboxState.QUEUED: frozenset({OutboxState.SENDING, OutboxState.FAILED}),
        # sending -> queued: a 4xx or connection error, retried later; also crash recovery.
        OutboxState.SENDING: frozenset({OutboxState.SENT, OutboxState.QUEUED, OutboxState.FAILED}),
        OutboxState.SENT: frozenset({OutboxState.BOUNCED}),
        # failed -> queued: the coordinator puts it back (`mailflow outbox retry`).
        OutboxState.FAILED: frozenset({OutboxState.QUEUED}),
        OutboxState.BOUNCED: frozenset(),
    },
)

REPORT: Machine[ReportState] = Machine(
    "report",
    "state",
    {
        # Sending again makes a new report row (a new draft); a sent row never goes back.
        ReportState.DRAFT: frozenset({ReportState.SENT}),
        ReportState.SENT: frozenset({ReportState.ACKNOWLEDGED, ReportState.BOUNCED}),
        # A reply from the recipient outweighs a bounce: the report reached someone.
        ReportState.BOUNCED: frozenset({ReportState.ACKNOWLEDGED}),
        ReportState.ACKNOWLEDGED: frozenset(),
    },
)

#: The machine of each kind of state, found by the type of the target state.
MACHINES: dict[type[StrEnum], Machine[StrEnum]] = {
    InboundState: INBOUND,  # type: ignore[dict-item]
    SubmissionStatus: SUBMISSION,  # type: ignore[dict-item]
    OutboxState: OUTBOX,  # type: ignore[dict-item]
    ReportState: REPORT,  # type: ignore[dict-item]
}


def check(what: str, current: S | str, target: S) -> None:
    """Raise `StateError` unless ``current`` -> ``target`` is an allowed move; ``what`` names
    the row in the message (its id or Message-ID)."""
    machine = MACHINES[type(target)]
    if not machine.allows(current, target):
        raise StateError(f"{machine.name} {what}: {current} -> {target} is not allowed")


def move(row: object, target: S, *, what: str | None = None) -> None:
    """Set ``row``'s state (or status) to ``target``, or raise `StateError` if its machine
    forbids the move. ``what`` names the row in the message (default: its ``id``)."""
    machine = MACHINES[type(target)]
    current = getattr(row, machine.attribute)
    check(what if what is not None else str(getattr(row, "id", None)), current, target)
    setattr(row, machine.attribute, target.value)
