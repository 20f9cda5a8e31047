"""The coordinator's report actions: compile it from the ledger, send it to the campaign recipient,
and export the submissions as data.

Rendering is pure and lives in `mailflow.report`; this module reads the ledger and keeps the
report's row (draft, sent) and its outbox mail.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailflow import report, submissions
from mailflow.answering import compose, outbox
from mailflow.config import Settings
from mailflow.errors import StateError
from mailflow.ledger.models import (
    Member,
    Report,
    ReportState,
    Submission,
)
from mailflow.ledger.store import Ledger, sync_campaign
from mailflow.reading.validate import Status
from mailflow.untrusted import csv_cell


@dataclass(frozen=True)
class Compiled:
    files: list[Path]
    warnings: tuple[str, ...]
    report_id: int
    entries: int


@dataclass(frozen=True)
class Sent:
    message: str
    message_id: str | None = None
    delivery: dict[str, int] = field(default_factory=dict)


# -- the report ----------------------------------------------------------------------------------
def report_entries(session: Session, campaign_id: int) -> list[report.ReportEntry]:
    """Accepted submissions, latest version per member, as report entries, oldest first.

    One query for the columns the report prints, joined with the member, and no ORM objects:
    the report of a large campaign reads every accepted submission. An accepted submission is
    its author's latest version (a newer one supersedes it), so no version filter is needed.
    """
    rows = session.execute(
        select(
            Submission.id,
            Submission.sender_address,
            Submission.language,
            Submission.action_lines,
            Submission.text,
            Submission.fields,
            Submission.links,
            Submission.word_count,
            Submission.received_at,
            Member.id,
            Member.name,
            Member.organisation,
            Member.country,
        )
        .outerjoin(Member, Member.id == Submission.member_id)
        .where(
            Submission.campaign_id == campaign_id,
            Submission.status == Status.ACCEPTED.value,
        )
        .order_by(Submission.id)
    )
    entries = []
    for (
        submission_id,
        sender,
        language,
        action_lines,
        text,
        fields,
        links,
        word_count,
        received_at,
        member_id,
        name,
        organisation,
        country,
    ) in rows:
        has_member = member_id is not None
        entries.append(
            report.ReportEntry(
                submission_id=submission_id,
                organisation=fields.get("organisation") or (organisation if has_member else ""),
                country=fields.get("country") or (country if has_member else ""),
                member_name=name if has_member else "",
                member_address=sender,
                language=language,
                action_lines=tuple(action_lines),
                text=text,
                fields=fields,
                links=tuple(links),
                word_count=word_count,
                received_at=received_at,
            )
        )
    return entries


def _compile(session: Session, settings: Settings) -> tuple[report.CompiledReport, list[int], int]:
    campaign = sync_campaign(session, settings.campaign)
    with report.collector_paused():
        entries = report_entries(session, campaign.id)
    # The compile time comes from the ledger, so two compiles of the same ledger are identical.
    latest = session.scalar(
        select(func.max(Submission.created_at)).where(Submission.campaign_id == campaign.id)
    )
    c = settings.campaign
    meta = report.ReportMeta(
        association=c.association,
        campaign=c.name,
        deadline=c.deadline,
        word_limit=c.word_limit,
        recipient=c.recipient,
        compiled_at=latest or c.deadline,
        summary=c.summary,
    )
    return report.compile_report(entries, meta), [e.submission_id for e in entries], campaign.id


def compile_report(settings: Settings, ledger: Ledger, outdir: Path) -> Compiled:
    """Render the report into ``outdir`` and keep it as the campaign's draft."""
    with ledger.transaction() as session:
        compiled, ids, campaign_id = _compile(session, settings)
        draft = _draft(session, campaign_id)
        draft.subject = compiled.subject
        draft.content = compiled.text
        draft.submission_ids = ids
        report_id = draft.id
    files = compiled.write(outdir)
    return Compiled(files=files, warnings=compiled.warnings, report_id=report_id, entries=len(ids))


def _draft(session: Session, campaign_id: int) -> Report:
    row = session.scalars(
        select(Report)
        .where(Report.campaign_id == campaign_id, Report.state == ReportState.DRAFT.value)
        .order_by(Report.id.desc())
    ).first()
    if row is None:
        row = Report(campaign_id=campaign_id, state=ReportState.DRAFT.value)
        session.add(row)
        session.flush()
    return row


def send_report(
    settings: Settings, ledger: Ledger, *, dry_run: bool = False, resend: bool = False
) -> Sent:
    """Compile the report from the ledger as it is now and send it to the campaign recipient."""
    now = datetime.now(UTC)
    with ledger.transaction() as session:
        compiled, ids, campaign_id = _compile(session, settings)
        previous = session.scalars(
            select(Report)
            .where(Report.campaign_id == campaign_id, Report.state != ReportState.DRAFT.value)
            .order_by(Report.id.desc())
        ).first()
        if previous is not None and not resend and not dry_run:
            raise StateError(
                f"the report was already sent ({previous.state}, {previous.message_id}); "
                "use --resend to send it again"
            )
        recipient = settings.campaign.recipient
        if dry_run:
            sizes = ", ".join(
                f"{name} ({len(data)} bytes)" for name, _, data in compiled.attachments
            )
            return Sent(
                message=(
                    f"would send {compiled.subject!r} to {recipient}: {len(ids)} contribution(s); "
                    f"attachments: {sizes}"
                    + ("" if previous is None else f"; already sent as {previous.message_id}")
                )
            )
        message_id = compose.make_message_id(settings.smtp.from_)
        data = report.build_report_mail(
            compiled,
            from_address=settings.smtp.from_,
            to_address=recipient,
            message_id=message_id,
            date=now,
        )
        row = _draft(session, campaign_id)
        row.subject = compiled.subject
        row.content = compiled.text
        row.submission_ids = ids
        row.message_id = message_id
        # The report counts as sent once the outbox row is committed; delivery retries from there.
        row.state = ReportState.SENT.value
        row.sent_at = now
        outbox.queue(
            session,
            kind="report",
            message_id=message_id,
            sender=settings.smtp.from_address,
            recipient=recipient,
            subject=compiled.subject,
            data=data,
            campaign_id=campaign_id,
            report_id=row.id,
        )
    delivery = outbox.flush(settings, ledger)
    return Sent(
        message=f"report {message_id} to {recipient}: {len(ids)} contribution(s); "
        + (", ".join(f"{n} {s}" for s, n in sorted(delivery.items())) or "queued"),
        message_id=message_id,
        delivery=delivery,
    )


def export(settings: Settings, ledger: Ledger, fmt: str) -> str:
    """The current submissions (newest version per member) as CSV or JSON text."""
    with ledger.transaction() as session:
        campaign = sync_campaign(session, settings.campaign)
        rows: list[dict[str, Any]] = [
            submissions.as_dict(session, s, full=True)
            for s in submissions.listing(session, campaign.id)
        ]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2)
    out = io.StringIO()
    columns = [
        "id",
        "member",
        "organisation",
        "country",
        "status",
        "version",
        "language",
        "action_lines",
        "word_count",
        "links",
        "issues",
        "received_at",
        "text",
    ]
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        flat = dict(row)
        flat["action_lines"] = ";".join(row["action_lines"])
        flat["links"] = " ".join(row["links"])
        flat["issues"] = ";".join(i["code"] for i in row["issues"])
        flat = {k: _csv_safe(v) for k, v in flat.items()}
        writer.writerow(flat)
    return out.getvalue()


def _csv_safe(value: Any) -> Any:
    """Cells a spreadsheet would run as a formula get a leading quote."""
    return csv_cell(value) if isinstance(value, str) else value
