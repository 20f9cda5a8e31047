"""The coordinator's decisions on submissions: review a held one, re-run reading on old ones.

The rules for who gets a confirmation live in `mailflow.intake`; reading and judging in
`mailflow.reading` (`prepare.read`, `validate.judge`), the same steps a poll takes.
"""

from __future__ import annotations

from sqlalchemy import select

from mailflow import decisions, members, submissions
from mailflow.answering import outbox
from mailflow.config import Settings
from mailflow.errors import NotFoundError
from mailflow.intake import Context, queue_confirmation
from mailflow.ledger import Ledger
from mailflow.ledger.models import Submission
from mailflow.notices import Notice
from mailflow.reading import headers
from mailflow.reading.prepare import read
from mailflow.reading.validate import judge
from mailflow.states import SubmissionStatus, move


def review(
    settings: Settings,
    ledger: Ledger,
    submission_id: int,
    *,
    accept: bool,
    note: str,
    who: str,
    member: str | None = None,
) -> tuple[str, outbox.Delivery]:
    """Decide on a held submission; an accept queues (and sends) the confirmation.

    The decision goes to the trail with ``who`` in the same transaction. ``member`` (an address
    of a member) first attaches the submission to that member, so the report shows the member's
    organisation and country (the sender's address is not added to the member: see
    `mailflow.members.aliases`).
    """
    with ledger.transaction() as session:
        if member is not None:
            owner = members.find_by_address(session, member)
            if owner is None:
                sender = submissions.get(session, submission_id).sender_address
                raise NotFoundError(
                    Notice(
                        f"no member with address {member}; add one with "
                        f'`mailflow members add {member} --name "…"`, or give the sender\'s '
                        f"address to a member with `mailflow members alias ADDRESS --add {sender}`",
                        "no_member_to_attach",
                        address=member,
                        sender=sender,
                    )
                )
            submissions.attach(session, submission_id, owner)
            decisions.record(
                session, who, "attach_member", submission_id=submission_id, member_id=owner.id
            )
        sub = submissions.review(session, submission_id, accept=accept, note=note)
        status = sub.status
        decisions.record(
            session, who, "accept" if accept else "reject", submission_id=sub.id, note=note
        )
        queued = 0
        if accept:
            queued = queue_confirmation(session, sub, Context.load(session, settings))
    delivery = outbox.flush(settings, ledger) if queued else outbox.Delivery()
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
            changed += reprocess_one(sub, context)
    return seen, changed


def reprocess_one(submission: Submission, context: Context) -> bool:
    """Re-read and re-judge a submission from its stored raw bytes; True when anything changed.

    The version, history and any coordinator decision stay as they are: a superseded, rejected
    or reviewed submission keeps its status; only the extracted fields and issues are renewed.
    No mail is sent.
    """
    inbound = submission.inbound
    # The same reading and judging as a poll's (`prepare`, `handle_contribution`).
    message = headers.parse(inbound.raw)
    text, contribution = read(inbound.raw, message)
    verdict = judge(
        contribution,
        is_member=submission.member is not None,
        received_at=submission.received_at,
        authentication_results=headers.all_headers(message, "Authentication-Results"),
        rules=context.rules,
        problems=text.problems,
    )
    before = (
        submission.text,
        submission.action_lines,
        submission.links,
        submission.issues,
        submission.word_count,
        submission.status,
    )
    submission.text = contribution.text
    submission.full_text = contribution.full_text
    submission.source = contribution.source
    submission.fields = dict(contribution.fields)
    submission.action_lines = list(contribution.action_lines)
    submission.links = list(contribution.links)
    submission.issues = [submissions.issue_dict(i) for i in verdict.issues]
    submission.word_count = contribution.word_count
    submission.word_count_method = contribution.word_count_method
    submission.language = contribution.language
    decided = submission.reviewed_at is not None or submission.status in (
        SubmissionStatus.SUPERSEDED.value,
        SubmissionStatus.REJECTED.value,
    )
    if not decided and submission.status != verdict.status:
        move(submission, verdict.status)
    after = (
        submission.text,
        submission.action_lines,
        submission.links,
        submission.issues,
        submission.word_count,
        submission.status,
    )
    return before != after
