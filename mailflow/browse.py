"""Read-only, paginated views of the ledger for the web console.

The console lists thousands of submissions, members and mails; each function here reads one
page of them in a fixed number of queries (never one per row), filtered in SQL on indexed
columns where it can, and returns plain data for the templates. Nothing here writes or decides:
the decisions are `mailflow.app.App`'s methods, the campaign status is `mailflow.views`.
"""

from __future__ import annotations

import difflib
import email
import email.policy
import itertools
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session, selectinload

from mailflow import decisions, submissions
from mailflow.ledger.models import (
    InboundMessage,
    Member,
    MemberAddress,
    OutboxMail,
    Submission,
)

PAGE_SIZE = 50
ACTION_LINES = tuple(f"C{n}" for n in range(1, 12))
STATUSES = ("accepted", "needs_revision", "held", "rejected", "superseded")


@dataclass(frozen=True)
class Filters:
    """What the submissions list shows: by default every current (not superseded) version."""

    status: str = ""
    action_line: str = ""
    language: str = ""
    country: str = ""
    query: str = ""


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    choices: dict[str, list[str]] = field(default_factory=dict)


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def submission_page(
    session: Session,
    campaign_id: int,
    filters: Filters,
    page: int = 1,
    size: int = PAGE_SIZE,
    *,
    with_choices: bool = False,
) -> Page:
    """One page of submissions, newest first; ``with_choices`` adds the values the filters offer
    (the languages and countries present)."""
    where: list[Any] = [Submission.campaign_id == campaign_id]
    if filters.status:
        where.append(Submission.status == filters.status)
    else:
        where.append(Submission.status != "superseded")
    if filters.action_line:
        # The JSON list holds quoted codes, so "C1" does not match "C10" or "C11".
        where.append(cast(Submission.action_lines, String).like(f'%"{filters.action_line}"%'))
    if filters.language:
        where.append(Submission.language == filters.language)
    if filters.country:
        where.append(func.lower(Member.country) == filters.country.lower())
    if filters.query:
        pattern = _like(filters.query.lower())
        where.append(
            or_(
                func.lower(Member.organisation).like(pattern, escape="\\"),
                func.lower(Member.name).like(pattern, escape="\\"),
                func.lower(Submission.sender_address).like(pattern, escape="\\"),
                func.lower(Submission.text).like(pattern, escape="\\"),
            )
        )
    joined = select(Submission.id).outerjoin(Member, Member.id == Submission.member_id)
    total = session.scalar(select(func.count()).select_from(joined.where(*where).subquery())) or 0
    pages = _pages(total, size)
    page = min(max(page, 1), pages)
    # The page's ids first, then their columns: sorting ids alone is cheap, sorting the rows
    # with their JSON columns was most of the list's time on a large campaign.
    ids = list(
        session.scalars(
            joined.where(*where)
            .order_by(Submission.id.desc())
            .limit(size)
            .offset((page - 1) * size)
        )
    )
    rows = session.execute(
        select(
            Submission.id,
            Submission.status,
            Submission.version,
            Submission.sender_address,
            Submission.fields,
            Submission.action_lines,
            Submission.word_count,
            Submission.language,
            Submission.received_at,
            Submission.issues,
            Member.name,
            Member.organisation,
            Member.country,
        )
        .outerjoin(Member, Member.id == Submission.member_id)
        .where(Submission.id.in_(ids))
        .order_by(Submission.id.desc())
    )
    listed = [
        {
            "id": sid,
            "status": status,
            "version": version,
            "member": sender,
            "member_name": name or "",
            "organisation": fields.get("organisation") or organisation or "",
            "country": fields.get("country") or country or "",
            "action_lines": action_lines,
            "word_count": word_count,
            "language": language or "",
            "received_at": received_at,
            "issues": [i["code"] for i in issues],
        }
        for (
            sid,
            status,
            version,
            sender,
            fields,
            action_lines,
            word_count,
            language,
            received_at,
            issues,
            name,
            organisation,
            country,
        ) in rows
    ]
    choices = _choices(session) if with_choices else {}
    return Page(rows=listed, total=total, page=page, pages=pages, choices=choices)


def _choices(session: Session) -> dict[str, list[str]]:
    languages = session.scalars(
        select(Submission.language).where(Submission.language.is_not(None)).distinct()
    )
    countries = session.scalars(select(Member.country).where(Member.country != "").distinct())
    return {
        "status": list(STATUSES),
        "action_line": list(ACTION_LINES),
        "language": sorted(x for x in languages if x),
        "country": sorted(countries, key=str.lower),
    }


def submission_detail(session: Session, submission_id: int) -> dict[str, Any]:
    """One submission as `submissions show --json` gives it, with its versions side by side,
    what changed between them, the mail in and out (the text of each mail as sent) and the
    decisions taken on it."""
    sub = submissions.get(session, submission_id)
    data = submissions.as_dict(session, sub, full=True)
    query = select(Submission).where(Submission.campaign_id == sub.campaign_id)
    if sub.member_id is not None:
        query = query.where(Submission.member_id == sub.member_id)
    else:
        query = query.where(
            Submission.member_id.is_(None), Submission.sender_address == sub.sender_address
        )
    versions = list(session.scalars(query.order_by(Submission.version)))
    data["versions"] = [
        {
            "id": v.id,
            "version": v.version,
            "status": v.status,
            "received_at": v.received_at,
            "word_count": v.word_count,
            "text": v.text,
        }
        for v in versions
    ]
    data["changes"] = [
        {
            "from": older.version,
            "to": newer.version,
            "lines": _diff(older.text, newer.text),
        }
        for older, newer in itertools.pairwise(versions)
    ]
    data["sent"] = [
        {
            "id": mail.id,
            "kind": mail.kind,
            "state": mail.state,
            "recipient": mail.recipient,
            "subject": mail.subject,
            "at": mail.sent_at or mail.created_at,
            "last_error": mail.last_error,
            "body": mail_text(mail.data),
        }
        for mail in session.scalars(
            select(OutboxMail).where(OutboxMail.submission_id == sub.id).order_by(OutboxMail.id)
        )
    ]
    data["decisions"] = decisions.for_submission(session, sub.id)
    data["member_id"] = sub.member_id
    # Each issue's parameters, so that the console can word it in its own language.
    for issue, stored in zip(data["issues"], sub.issues, strict=True):
        issue["params"] = dict(stored.get("params") or {})
    # What the edit and English-version forms start from (the text in use, else the member's).
    data["drafts"] = {
        kind: submissions.coordinator_draft(session, sub.id, kind)
        for kind in submissions.COORDINATOR_KINDS
    }
    return data


def _diff(old: str, new: str) -> list[tuple[str, str]]:
    """The changed lines, each as (``"+"``, ``"-"`` or ``" "``, line)."""
    out: list[tuple[str, str]] = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=1):
        if line.startswith(("---", "+++", "@@")):
            continue
        out.append((line[:1], line[1:]))
    return out


def mail_text(raw: bytes) -> str:
    """The plain-text body of a mail mailflow wrote (what the member read)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def raw_message(session: Session, submission_id: int) -> tuple[str, bytes]:
    """The file name and bytes of the mail a submission came in, as it was received."""
    sub = submissions.get(session, submission_id)
    raw = session.scalar(select(InboundMessage.raw).where(InboundMessage.id == sub.inbound_id))
    return f"submission-{sub.id}.eml", raw or b""


def member_page(session: Session, query: str = "", page: int = 1, size: int = PAGE_SIZE) -> Page:
    """One page of members (inactive ones too) with their addresses, by name."""
    where: list[Any] = []
    if query:
        pattern = _like(query.lower())
        matching = select(MemberAddress.member_id).where(
            MemberAddress.address.like(pattern, escape="\\")
        )
        where.append(
            or_(
                func.lower(Member.name).like(pattern, escape="\\"),
                func.lower(Member.organisation).like(pattern, escape="\\"),
                Member.id.in_(matching),
            )
        )
    total = session.scalar(select(func.count()).select_from(Member).where(*where)) or 0
    pages = _pages(total, size)
    page = min(max(page, 1), pages)
    members = session.scalars(
        select(Member)
        .options(selectinload(Member.addresses))
        .where(*where)
        .order_by(Member.organisation, Member.name, Member.id)
        .limit(size)
        .offset((page - 1) * size)
    )
    rows = [
        {
            "id": m.id,
            "name": m.name,
            "organisation": m.organisation,
            "country": m.country,
            "language": m.language,
            "active": m.active,
            "addresses": [a.address for a in m.addresses],
            "undeliverable": [a.address for a in m.addresses if a.undeliverable_at],
        }
        for m in members
    ]
    return Page(rows=rows, total=total, page=page, pages=pages)


def outbox_page(session: Session, state: str = "", page: int = 1, size: int = PAGE_SIZE) -> Page:
    """One page of the outbox, newest first, with the reason of each failure."""
    where: list[Any] = [OutboxMail.state == state] if state else []
    total = session.scalar(select(func.count()).select_from(OutboxMail).where(*where)) or 0
    pages = _pages(total, size)
    page = min(max(page, 1), pages)
    rows = session.execute(
        select(
            OutboxMail.id,
            OutboxMail.kind,
            OutboxMail.state,
            OutboxMail.recipient,
            OutboxMail.subject,
            OutboxMail.attempts,
            OutboxMail.last_error,
            OutboxMail.smtp_code,
            OutboxMail.submission_id,
            OutboxMail.created_at,
            OutboxMail.sent_at,
        )
        .where(*where)
        .order_by(OutboxMail.id.desc())
        .limit(size)
        .offset((page - 1) * size)
    )
    keys = (
        "id",
        "kind",
        "state",
        "recipient",
        "subject",
        "attempts",
        "last_error",
        "smtp_code",
        "submission_id",
        "created_at",
        "sent_at",
    )
    return Page(
        rows=[dict(zip(keys, row, strict=True)) for row in rows],
        total=total,
        page=page,
        pages=pages,
    )
