"""The coordinator's report actions: compile it from the ledger into a folder and send exactly
that folder to the campaign recipient (exporting the submissions as data is
`mailflow.campaign.export`).

`compile_report` renders the report (`mailflow.report`, pure) from the accepted contributions and
writes its files and a ``manifest.json`` — each file's SHA-256 and, per contribution, its version
and a fingerprint of what is printed — into the folder; the campaign's draft report row keeps the
same manifest. `send_report` sends those files byte for byte and refuses when they no longer
match the manifest, when the ledger changed since the compile (naming the contributions and
saying to compile again), when the report is empty (unless ``allow_empty``), or when a report was
already sent (unless ``resend``; a resend's compile says it replaces the earlier report and its
mail is threaded to it). Reading the ledger into report entries is
`mailflow.campaign.report_entries`; what changed after the report went, for `status`, is
`mailflow.campaign.report_changes`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow import collector, report
from mailflow.answering import outbox, wire
from mailflow.campaign.report_changes import STAMP, stamps
from mailflow.campaign.report_entries import (
    Change,
    changes,
    fingerprints,
    report_entries,
    silent_members,
)
from mailflow.config import Settings
from mailflow.errors import MailflowError, StateError
from mailflow.ledger import Ledger, sync_campaign
from mailflow.ledger.models import Report
from mailflow.notices import Notice
from mailflow.states import ReportState, move

__all__ = [
    "Compiled",
    "Sent",
    "compile_report",
    "report_entries",
    "report_state",
    "send_report",
]

MANIFEST = "manifest.json"


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


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _last_sent(session: Session, campaign_id: int) -> Report | None:
    return session.scalars(
        select(Report)
        .where(Report.campaign_id == campaign_id, Report.state != ReportState.DRAFT.value)
        .order_by(Report.id.desc())
    ).first()


def _draft(session: Session, campaign_id: int) -> Report | None:
    return session.scalars(
        select(Report)
        .where(Report.campaign_id == campaign_id, Report.state == ReportState.DRAFT.value)
        .order_by(Report.id.desc())
    ).first()


def _coordinator(settings: Settings) -> str:
    return settings.campaign.coordinator or settings.smtp.from_


# -- compile -------------------------------------------------------------------------------------
def compile_report(
    settings: Settings,
    ledger: Ledger,
    outdir: Path,
    *,
    delimiter: str | None = None,
    now: datetime | None = None,
) -> Compiled:
    """Render the report into ``outdir`` with its manifest, and keep it as the campaign's draft.

    ``delimiter`` overrides ``[campaign] csv_dialect`` for contributions.csv (``,`` or ``;``).
    """
    compiled_at = (now or datetime.now(UTC)).replace(microsecond=0)
    c = settings.campaign
    with ledger.transaction() as session:
        campaign = sync_campaign(session, c)
        with collector.paused():
            entries = report_entries(session, campaign.id)
        roster_size, silent = silent_members(session, campaign.id)
        printed = fingerprints(entries)
        for key, stamp in stamps(session, campaign.id).items():
            if key in printed:  # the same accepted submissions, read in the same transaction
                printed[key][STAMP] = stamp
        previous = _last_sent(session, campaign.id)
        replaces = None
        if previous is not None and previous.sent_at is not None:
            changed = changes((previous.manifest or {}).get("contributions", {}), printed)
            replaces = report.Replaced(previous.subject, previous.sent_at, len(changed))
        meta = report.ReportMeta(
            association=c.association,
            campaign=c.name,
            deadline=c.deadline,
            word_limit=c.word_limit,
            recipient=c.recipient,
            compiled_at=compiled_at,
            summary=c.summary,
            coordinator=_coordinator(settings),
            signature=c.signature,
            roster_size=roster_size,
            silent_members=silent,
            replaces=replaces,
            csv_delimiter=delimiter or report.DELIMITERS[c.csv_dialect],
        )
        compiled = report.compile_report(entries, meta)
        manifest: dict[str, Any] = {
            "campaign": c.name,
            "compiled_at": compiled_at.isoformat(),
            "subject": compiled.subject,
            "recipient": c.recipient,
            "replaces": previous.id if replaces is not None and previous is not None else None,
            "files": {name: _sha256(data) for name, data in compiled.files()},
            "attachments": [[name, mime] for name, mime, _ in compiled.attachments],
            "contributions": printed,
        }
        draft = _draft(session, campaign.id)
        if draft is None:
            draft = Report(campaign_id=campaign.id, state=ReportState.DRAFT.value)
            session.add(draft)
        draft.subject = compiled.subject
        draft.content = compiled.text
        draft.submission_ids = [entry.submission_id for entry in entries]
        draft.compiled_at = compiled_at
        draft.folder = str(outdir.resolve())
        draft.manifest = manifest
        draft.replaces_id = manifest["replaces"]
        session.flush()
        report_id = draft.id
        # The files are written inside the transaction: a failed write leaves no draft that
        # points at a folder without them.
        files = compiled.write(outdir)
        files.append(_write_manifest(outdir, manifest))
    return Compiled(
        files=files, warnings=compiled.warnings, report_id=report_id, entries=len(entries)
    )


def _write_manifest(outdir: Path, manifest: dict[str, Any]) -> Path:
    path = outdir / MANIFEST
    try:
        # Compact: json.dumps's C encoder writes a 10,000-contribution manifest in a tenth of
        # the time an indented one takes.
        data = json.dumps(manifest, ensure_ascii=False, sort_keys=True) + "\n"
        partial = outdir / f".{MANIFEST}.partial"
        partial.write_text(data, encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        raise MailflowError(
            Notice(
                f"cannot write the report to {outdir}: {exc.strerror}",
                "report_unwritable",
                folder=str(outdir),
                reason=exc.strerror or "",
            )
        ) from exc
    return path


# -- send ----------------------------------------------------------------------------------------
def _read_folder(draft: Report) -> tuple[dict[str, bytes], list[str]]:
    """The compiled files as they are on disk now, and what no longer matches the manifest."""
    folder = Path(draft.folder or "")
    found: dict[str, bytes] = {}
    problems: list[str] = []
    for name, digest in (draft.manifest or {}).get("files", {}).items():
        try:
            data = (folder / name).read_bytes()
        except OSError:
            problems.append(
                Notice(f"{name} is missing from {folder}", "report_file_missing", file=name)
            )
            continue
        if _sha256(data) != digest:
            problems.append(
                Notice(
                    f"{name} in {folder} was changed after the compile",
                    "report_file_changed",
                    file=name,
                )
            )
        found[name] = data
    return found, problems


def _ledger_changes(session: Session, draft: Report, campaign_id: int) -> list[Change]:
    now = fingerprints(report_entries(session, campaign_id))
    return changes((draft.manifest or {}).get("contributions", {}), now)


def _describe(found: list[Change]) -> str:
    shown = "; ".join(f"{change.label}: {change.what}" for change in found[:10])
    more = f"; and {len(found) - 10} more" if len(found) > 10 else ""
    return f"{shown}{more}"


def _check(
    session: Session, draft: Report, campaign_id: int, previous: Report | None
) -> tuple[dict[str, bytes], list[str]]:
    """The compiled files, and every reason they may not be sent as they are."""
    files, problems = _read_folder(draft)
    found = _ledger_changes(session, draft, campaign_id)
    if found:
        problems.append(
            Notice(
                f"{len(found)} contribution{'s' if len(found) != 1 else ''} changed in the "
                f"ledger since the compile ({_describe(found)})",
                "report_ledger_changed",
                count=len(found),
                changes=tuple(
                    Notice(
                        f"{change.label}: {change.what}",
                        "report_change",
                        label=change.label,
                        what=change.what,
                    )
                    for change in found
                ),
            )
        )
    if previous is not None and (draft.manifest or {}).get("replaces") != previous.id:
        problems.append(
            Notice(
                f"a report was sent after this one was compiled ({previous.message_id})",
                "report_sent_since",
                message_id=previous.message_id or "",
            )
        )
    return files, problems


def report_state(settings: Settings, ledger: Ledger) -> dict[str, Any]:
    """The compiled report as `send_report` would send it, and the one sent last, as plain data:
    ``{"draft": {subject, folder, compiled_at, contributions, files, attachments, problems} or
    None, "sent": {message_id, state, sent_at, acknowledged_at, subject} or None}``. Reads only.
    """
    with ledger.transaction() as session:
        campaign = sync_campaign(session, settings.campaign)
        previous = _last_sent(session, campaign.id)
        draft = _draft(session, campaign.id)
        shown: dict[str, Any] | None = None
        if draft is not None and draft.manifest:
            files, problems = _check(session, draft, campaign.id, previous)
            shown = {
                "subject": draft.subject,
                "folder": draft.folder,
                "compiled_at": draft.compiled_at,
                "contributions": len(draft.manifest.get("contributions", {})),
                "files": {name: len(data) for name, data in files.items()},
                "attachments": [name for name, _ in draft.manifest.get("attachments", [])],
                "problems": problems,
            }
        sent = (
            {
                "subject": previous.subject,
                "message_id": previous.message_id,
                "state": previous.state,
                "sent_at": previous.sent_at,
                "acknowledged_at": previous.acknowledged_at,
            }
            if previous is not None
            else None
        )
        return {"draft": shown, "sent": sent}


def send_report(
    settings: Settings,
    ledger: Ledger,
    *,
    dry_run: bool = False,
    resend: bool = False,
    allow_empty: bool = False,
) -> Sent:
    """Send the compiled folder, byte for byte, to the campaign recipient (see the module doc)."""
    now = datetime.now(UTC)
    recipient = settings.campaign.recipient
    with ledger.transaction() as session:
        campaign = sync_campaign(session, settings.campaign)
        previous = _last_sent(session, campaign.id)
        if previous is not None and not resend and not dry_run:
            raise StateError(
                Notice(
                    f"the report was already sent ({previous.sent_at:%Y-%m-%d %H:%M} UTC, "
                    f"{previous.message_id}); to send an update that replaces it, run "
                    "`mailflow compile`, then `mailflow send-report --resend`",
                    "report_already_sent",
                    when=previous.sent_at.isoformat() if previous.sent_at else "",
                    message_id=previous.message_id or "",
                )
            )
        draft = _draft(session, campaign.id)
        if draft is None or not draft.manifest:
            raise StateError(
                Notice("no compiled report: run `mailflow compile` first", "report_not_compiled")
            )
        files, problems = _check(session, draft, campaign.id, previous)
        count = len(draft.manifest.get("contributions", {}))
        if dry_run:
            verdict = (
                "It matches the compiled folder and the ledger."
                if not problems
                else "It does NOT match: " + "; ".join(problems) + ". Run `mailflow compile` again."
            )
            text = files.get("report.txt", b"").decode("utf-8", "replace")
            already = (
                "" if previous is None else f" A report was already sent ({previous.message_id})."
            )
            return Sent(
                message=(
                    f"Would send “{draft.subject}” to {recipient}: {count} "
                    f"contribution{'s' if count != 1 else ''}, with "
                    f"{', '.join(name for name, _ in draft.manifest['attachments'])}. "
                    f"{verdict}{already}\n\n{text}"
                )
            )
        if problems:
            raise StateError(
                Notice(
                    "the report was not sent: " + "; ".join(problems) + ". Run `mailflow compile` "
                    "again, check the folder, then `mailflow send-report`"
                    + (" --resend" if previous is not None else ""),
                    "report_not_sent",
                    problems=tuple(problems),
                )
            )
        if count == 0 and not allow_empty:
            raise StateError(
                Notice(
                    "the compiled report has no contribution; use --allow-empty to send it anyway",
                    "report_empty",
                )
            )
        message_id = wire.make_message_id(settings.smtp.from_)
        compiled = report.CompiledReport(
            subject=draft.subject,
            text=files["report.txt"].decode("utf-8"),
            html=files["report.html"].decode("utf-8"),
            attachments=tuple(
                (name, mime, files[name]) for name, mime in draft.manifest["attachments"]
            ),
        )
        thread = previous.message_id if previous is not None else None
        data = report.build_report_mail(
            compiled,
            from_address=settings.smtp.from_,
            to_address=recipient,
            message_id=message_id,
            date=now,
            in_reply_to=thread,
        )
        draft.message_id = message_id
        # The report counts as sent once the outbox row is committed; delivery retries from there.
        move(draft, ReportState.SENT)
        draft.sent_at = now
        outbox.queue(
            session,
            kind="report",
            message_id=message_id,
            sender=settings.smtp.from_address,
            recipient=recipient,
            subject=draft.subject,
            data=data,
            campaign_id=campaign.id,
            report_id=draft.id,
        )
    delivery = outbox.flush(settings, ledger)
    return Sent(
        message=Notice(
            f"report {message_id} to {recipient}: {count} contribution"
            f"{'s' if count != 1 else ''}; "
            + (", ".join(f"{n} {s}" for s, n in sorted(delivery.items())) or "queued"),
            "report_sent",
            message_id=message_id,
            recipient=recipient,
            count=count,
            sent=delivery.get("sent", 0),
            not_sent=delivery.not_sent,
        ),
        message_id=message_id,
        delivery=delivery,
    )
