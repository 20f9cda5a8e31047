"""Submissions in the ledger: versions per member, supersession, review, and their JSON views.

`record` stores a parsed and judged contribution as a new version for its author (the member, or the
sender address for a non-member) and marks the previous version ``superseded``; a reply that adds no
text of its own is not a new version. `review` lets a coordinator accept or reject a held
submission. `as_dict` gives the JSON shapes of design.md §7. Parsing and judging are pure and live
in `mailflow.reading.contribution` and `mailflow.reading.validate`; sending confirmations in
`mailflow.intake`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, defer, selectinload

from mailflow import decisions
from mailflow.errors import NotFoundError, StateError
from mailflow.ledger import PendingRows
from mailflow.ledger.models import CoordinatorText, InboundMessage, Member, OutboxMail, Submission
from mailflow.notices import Notice
from mailflow.reading.contribution import Contribution
from mailflow.reading.mime import read_message
from mailflow.reading.quotes import strip_reply
from mailflow.reading.validate import Issue, Verdict
from mailflow.report.content import editable, read_content
from mailflow.states import REPLACEABLE_STATUSES, MessageKind, SubmissionStatus, move


def latest_for(
    session: Session, campaign_id: int, member: Member | None, sender: str
) -> Submission | None:
    """The newest submission of this author in this campaign."""
    query = select(Submission).where(Submission.campaign_id == campaign_id)
    if member is not None:
        query = query.where(Submission.member_id == member.id)
    else:
        query = query.where(Submission.member_id.is_(None), Submission.sender_address == sender)
    return session.scalars(query.order_by(Submission.version.desc()).limit(1)).first()


def latest_of_many(
    session: Session, campaign_id: int, member_ids: Collection[int], senders: Collection[str]
) -> list[Submission]:
    """`latest_for` for many authors in one query: the newest submission of each of these
    members, and of each of these addresses among submissions from no member."""
    if not member_ids and not senders:
        return []
    newest = (
        select(
            Submission.id,
            func.row_number()
            .over(
                # a member is one author whatever address they wrote from; a stranger is one
                # address
                partition_by=(
                    Submission.member_id,
                    case((Submission.member_id.is_(None), Submission.sender_address), else_=""),
                ),
                order_by=Submission.version.desc(),
            )
            .label("rank"),
        )
        .where(Submission.campaign_id == campaign_id)
        .where(
            or_(
                Submission.member_id.in_(list(member_ids)),
                and_(Submission.member_id.is_(None), Submission.sender_address.in_(list(senders))),
            )
        )
        .subquery()
    )
    return list(
        session.scalars(
            select(Submission).join(newest, newest.c.id == Submission.id).where(newest.c.rank == 1)
        )
    )


def issue_dict(issue: Issue) -> dict[str, Any]:
    return {
        "code": issue.code,
        "severity": str(issue.severity),
        "message": issue.message,
        "params": dict(issue.params),
    }


def record(
    session: Session,
    *,
    campaign_id: int,
    inbound: InboundMessage,
    member: Member | None,
    sender: str,
    contribution: Contribution,
    verdict: Verdict,
    received_at: datetime,
    attachments: list[str],
    charset_fallback: bool,
    previous: Submission | None,
    pending: PendingRows | None = None,
) -> Submission:
    """Store a new version after ``previous`` (the author's latest, from `latest_for`), which
    then becomes ``superseded``. With ``pending`` the new row is left to it (``inbound`` and
    ``previous`` may be pending too); without, it is added to the session and flushed."""
    submission = Submission(
        campaign_id=campaign_id,
        member_id=member.id if member else None,
        member=member,
        inbound=inbound,
        sender_address=sender,
        version=(previous.version + 1) if previous else 1,
        supersedes=previous,
        status=verdict.status.value,
        text=contribution.text,
        full_text=contribution.full_text,
        source=contribution.source,
        fields=dict(contribution.fields),
        action_lines=list(contribution.action_lines),
        links=list(contribution.links),
        attachments=attachments,
        issues=[issue_dict(i) for i in verdict.issues],
        word_count=contribution.word_count,
        word_count_method=contribution.word_count_method,
        language=contribution.language,
        charset_fallback=charset_fallback,
        received_at=received_at,
    )
    if previous is not None and previous.status in REPLACEABLE_STATUSES:
        move(previous, SubmissionStatus.SUPERSEDED)
    if pending is not None:
        pending.add(submission)
    else:
        session.add(submission)
        session.flush()
    return submission


def review(session: Session, submission_id: int, *, accept: bool, note: str) -> Submission:
    """A coordinator's decision on a held submission."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFoundError(
            Notice(f"no submission {submission_id}", "no_submission", id=submission_id)
        )
    if submission.status != SubmissionStatus.HELD.value:
        raise StateError(
            Notice(
                f"submission {submission_id} is {submission.status}; "
                "only held submissions are reviewed",
                "review_not_held",
                id=submission_id,
                status=submission.status,
            )
        )
    blocking = [i for i in submission.issues if i.get("severity") == "error"]
    if accept:
        move(submission, SubmissionStatus.NEEDS_REVISION if blocking else SubmissionStatus.ACCEPTED)
    else:
        move(submission, SubmissionStatus.REJECTED)
    submission.review_note = note
    submission.reviewed_at = datetime.now(UTC)
    return submission


def attach(session: Session, submission_id: int, member: Member) -> Submission:
    """Make ``member`` the author of a held submission (it came from an unknown address)."""
    submission = get(session, submission_id)
    if submission.status != SubmissionStatus.HELD.value:
        raise StateError(
            Notice(
                f"submission {submission_id} is {submission.status}; only held submissions are "
                "attached to a member",
                "attach_not_held",
                id=submission_id,
                status=submission.status,
            )
        )
    submission.member_id = member.id
    submission.member = member
    return submission


def listing(
    session: Session,
    campaign_id: int | None,
    *,
    status: str | None = None,
    history: bool = False,
    with_members: bool = False,
) -> list[Submission]:
    """Submissions, newest version per author unless ``history``; oldest first.

    ``with_members`` loads their members in one extra query (for the report), not one each.
    """
    query = select(Submission).order_by(Submission.id)
    if with_members:
        query = query.options(selectinload(Submission.member), defer(Submission.full_text))
    if campaign_id is not None:
        query = query.where(Submission.campaign_id == campaign_id)
    if not history:
        query = query.where(Submission.status != SubmissionStatus.SUPERSEDED.value)
    if status:
        query = query.where(Submission.status == status)
    return list(session.scalars(query))


def get(session: Session, submission_id: int) -> Submission:
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFoundError(
            Notice(f"no submission {submission_id}", "no_submission", id=submission_id)
        )
    return submission


def _confirmation(session: Session, submission: Submission) -> OutboxMail | None:
    return session.scalars(
        select(OutboxMail)
        .where(OutboxMail.submission_id == submission.id, OutboxMail.kind == "confirmation")
        .order_by(OutboxMail.id.desc())
        .limit(1)
    ).first()


#: Why a due confirmation was not sent, as `submissions show` says it.
NOT_SENT = {"daily_limit": "not sent: daily limit for this address"}


def notes(session: Session, submission: Submission) -> list[dict[str, Any]]:
    """The member notes ("Thanks!") its author sent after this version, oldest first.

    A note is an inbound message of kind ``member_note`` from one of the author's addresses
    (the member's and the one this version came from, which may since have been taken from
    the member), received after this version and before the author's next one.
    """
    member = submission.member
    addresses = [a.address for a in member.addresses] if member else []
    addresses = list(dict.fromkeys([*addresses, submission.sender_address]))
    query = select(InboundMessage).where(
        InboundMessage.kind == MessageKind.MEMBER_NOTE.value,
        InboundMessage.sender.in_(addresses),
    )
    author = (
        Submission.member_id == member.id
        if member is not None
        else (
            Submission.member_id.is_(None)
            & (Submission.sender_address == submission.sender_address)
        )
    )
    later = session.scalars(
        select(Submission.received_at)
        .join(InboundMessage, Submission.inbound_id == InboundMessage.id)
        .where(
            Submission.campaign_id == submission.campaign_id,
            author,
            Submission.version > submission.version,
        )
        .order_by(Submission.version)
        .limit(1)
    ).first()
    found = []
    for inbound in session.scalars(query.order_by(InboundMessage.id)):
        at = inbound.internal_date or inbound.recorded_at
        if at < submission.received_at or (later is not None and at >= later):
            continue
        found.append(
            {
                "direction": "in",
                "kind": MessageKind.MEMBER_NOTE.value,
                "message_id": inbound.message_id,
                "subject": inbound.subject,
                "at": at.isoformat(),
                "text": strip_reply(read_message(inbound.raw).body).text.strip(),
            }
        )
    return found


def as_dict(session: Session, submission: Submission, *, full: bool = False) -> dict[str, Any]:
    """The JSON of `submissions list --json`; with ``full``, that of `submissions show`."""
    member = submission.member
    confirmation = _confirmation(session, submission)
    data: dict[str, Any] = {
        "id": submission.id,
        "member": submission.sender_address,
        "member_name": member.name if member else "",
        "organisation": submission.fields.get("organisation")
        or (member.organisation if member else ""),
        "country": submission.fields.get("country") or (member.country if member else ""),
        "status": submission.status,
        "version": submission.version,
        "supersedes": submission.supersedes_id,
        "language": submission.language,
        "action_lines": submission.action_lines,
        "word_count": submission.word_count,
        "links": submission.links,
        "issues": [
            {"code": i["code"], "severity": i["severity"], "message": i["message"]}
            for i in submission.issues
        ],
        "received_at": submission.received_at.isoformat(),
        "message_id": submission.inbound.message_id,
        "confirmation": (
            {"state": confirmation.state, "message_id": confirmation.message_id}
            if confirmation
            else None
        ),
        "review_note": submission.review_note or None,
        "reviewed_at": submission.reviewed_at.isoformat() if submission.reviewed_at else None,
    }
    if full:
        data["coordinator"] = coordinator_texts(session, submission.id)
        data["text"] = submission.text
        data["fields"] = dict(submission.fields)
        data["source"] = submission.source
        data["attachments"] = submission.attachments
        data["word_count_method"] = submission.word_count_method
        mail: list[dict[str, Any]] = [
            {
                "direction": "in",
                "kind": submission.inbound.kind,
                "message_id": submission.inbound.message_id,
                "subject": submission.inbound.subject,
                "at": submission.received_at.isoformat(),
            }
        ]
        mail += notes(session, submission)
        for out in session.scalars(
            select(OutboxMail)
            .where(OutboxMail.submission_id == submission.id)
            .order_by(OutboxMail.id)
        ):
            mail.append(
                {
                    "direction": "out",
                    "kind": out.kind,
                    "state": out.state,
                    "message_id": out.message_id,
                    "at": (out.sent_at or out.created_at).isoformat(),
                }
            )
        if submission.confirmation_note:
            mail.append(
                {
                    "direction": "out",
                    "kind": "confirmation",
                    "state": "not_sent",
                    "reason": submission.confirmation_note,
                    "note": NOT_SENT[submission.confirmation_note],
                    "message_id": None,
                    "at": submission.created_at.isoformat(),
                }
            )
        data["mail"] = sorted(mail, key=lambda m: m["at"])
        data["confirmation_note"] = submission.confirmation_note or None
        data["decisions"] = decisions.for_submission(session, submission.id)
    return data


#: What a coordinator can write for a submission: an edit of what goes to IFLA, an English version.
COORDINATOR_KINDS = ("edit", "translation")


def coordinator_texts(session: Session, submission_id: int) -> dict[str, Any]:
    """The coordinator's texts of a submission: the one in use of each kind and how many there
    were (``{"edit": {"text", "at", "versions"} or None, "translation": …}``)."""
    found: dict[str, Any] = {kind: None for kind in COORDINATOR_KINDS}
    rows = session.scalars(
        select(CoordinatorText)
        .where(CoordinatorText.submission_id == submission_id)
        .order_by(CoordinatorText.id)
    )
    for row in rows:
        versions = (found[row.kind] or {}).get("versions", 0) + 1
        found[row.kind] = {"text": row.text, "at": row.created_at.isoformat(), "versions": versions}
    return found


def coordinator_draft(session: Session, submission_id: int, kind: str) -> str:
    """The text a coordinator's edit or translation starts from: the one in use, else the
    member's fields under English labels (for a translation, the original to translate)."""
    submission = get(session, submission_id)
    current = coordinator_texts(session, submission_id)
    if current[kind] is not None:
        return str(current[kind]["text"])
    edited = current["edit"]["text"] if current["edit"] is not None else None
    edit_from, translate_from = editable(
        read_content(submission.text, submission.fields, edited=edited)
    )
    return edit_from if kind == "edit" else translate_from


def set_coordinator_text(session: Session, submission_id: int, kind: str, text: str) -> int:
    """Keep ``text`` as the coordinator's ``kind`` for the submission (earlier ones stay);
    returns how many texts of that kind the submission now has."""
    if kind not in COORDINATOR_KINDS:
        raise ValueError(kind)
    submission = get(session, submission_id)
    text = text.strip()
    if not text:
        raise StateError(
            Notice(
                f"the {kind} of submission {submission_id} is empty; nothing was kept",
                "text_empty",
                id=submission_id,
                kind=kind,
            )
        )
    current = coordinator_texts(session, submission.id)[kind]
    if current is not None and current["text"] == text:
        raise StateError(
            Notice(
                f"the {kind} of submission {submission_id} is unchanged; nothing was kept",
                "text_unchanged",
                id=submission_id,
                kind=kind,
            )
        )
    session.add(CoordinatorText(submission_id=submission.id, kind=kind, text=text))
    session.flush()
    return (current["versions"] if current else 0) + 1
