"""The decisions trail: each coordinator decision with who made it and when.

A decision (accept or reject a held submission, edit the text that goes to IFLA, add an English
version, attach a submission to a member, add or deactivate members, give a member an address or
take one away, import a roster, compile or send the report, retry a failed mail) is written in
the same transaction as its effect, so the trail and the ledger never disagree. The console and
the CLI both record through `record`; `for_submission` and `recent` give the rows back as plain
data for pages and ``--json``. This module decides nothing itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow.ledger.models import Decision

ACTIONS = (
    "accept",
    "reject",
    "edit_text",
    "english",
    "attach_member",
    "member_add",
    "alias_add",
    "alias_remove",
    "member_deactivate",
    "member_import",
    "compile",
    "send_report",
    "retry",
)


def record(
    session: Session,
    who: str,
    action: str,
    *,
    submission_id: int | None = None,
    member_id: int | None = None,
    outbox_id: int | None = None,
    note: str = "",
) -> Decision:
    """Add a decision to the trail (committed with the caller's transaction)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown decision {action!r}")
    row = Decision(
        who=who,
        action=action,
        submission_id=submission_id,
        member_id=member_id,
        outbox_id=outbox_id,
        note=note,
    )
    session.add(row)
    session.flush()
    return row


def as_dict(row: Decision) -> dict[str, Any]:
    return {
        "at": row.at.isoformat(),
        "who": row.who,
        "action": row.action,
        "submission_id": row.submission_id,
        "member_id": row.member_id,
        "outbox_id": row.outbox_id,
        "note": row.note,
    }


def for_submission(session: Session, submission_id: int) -> list[dict[str, Any]]:
    """The decisions about one submission, oldest first."""
    rows = session.scalars(
        select(Decision).where(Decision.submission_id == submission_id).order_by(Decision.id)
    )
    return [as_dict(row) for row in rows]


def recent(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    """The latest decisions, newest first."""
    rows = session.scalars(select(Decision).order_by(Decision.id.desc()).limit(limit))
    return [as_dict(row) for row in rows]
