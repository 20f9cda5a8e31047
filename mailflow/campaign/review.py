"""The coordinator's decisions on submissions: review a held one, re-run reading on old ones.

The rules for who gets a confirmation live in `mailflow.intake`.
"""

from __future__ import annotations

from sqlalchemy import select

from mailflow import decisions, submissions
from mailflow.answering import outbox
from mailflow.config import Settings
from mailflow.intake import Context, queue_confirmation
from mailflow.intake import reprocess as reprocess_one
from mailflow.ledger import Ledger
from mailflow.ledger.models import (
    Submission,
)


def review(
    settings: Settings,
    ledger: Ledger,
    submission_id: int,
    *,
    accept: bool,
    note: str,
    who: str,
) -> tuple[str, dict[str, int]]:
    """Decide on a held submission; an accept queues (and sends) the confirmation.

    The decision goes to the trail with ``who`` in the same transaction.
    """
    with ledger.transaction() as session:
        sub = submissions.review(session, submission_id, accept=accept, note=note)
        status = sub.status
        decisions.record(
            session, who, "accept" if accept else "reject", submission_id=sub.id, note=note
        )
        queued = 0
        if accept:
            queued = queue_confirmation(session, sub, Context.load(session, settings))
    delivery = outbox.flush(settings, ledger) if queued else {}
    return status, delivery


def reprocess(settings: Settings, ledger: Ledger, submission_id: int | None) -> tuple[int, int]:
    """Re-run parsing and validation on one submission or all; returns (seen, changed)."""
    seen = changed = 0
    with ledger.transaction() as session:
        context = Context.load(session, settings)
        if submission_id is not None:
            targets = [submissions.get(session, submission_id)]
        else:
            targets = list(session.scalars(select(Submission).order_by(Submission.id)))
        for sub in targets:
            seen += 1
            changed += reprocess_one(session, sub, context)
    return seen, changed
