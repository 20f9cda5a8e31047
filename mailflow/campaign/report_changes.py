"""What changed since the report was sent, one entry per contribution, fast on a large ledger.

A **contribution** here is a member's contribution as the report prints it: `changed_since_sent`
compares the contributions of the last sent report's manifest with those a compile would print
now (`mailflow.campaign.report_entries.changes`), so a member's new version counts once ("a new
version"), as do a contribution accepted after the send, one no longer accepted, and one whose
printed text changed (a coordinator's edit or English version, the member's details). `status`
shows this one number and list, in its text, its JSON and the web console.

Reading every accepted contribution to fingerprint it costs seconds on a ledger of 10,000; so a
compile also records each contribution's **stamp** in the manifest: the revision counters of its
submission and member rows (raised by every UPDATE, `mailflow.ledger.models.revision_column`) and
the id of its latest coordinator text (those rows are only added). A contribution whose stamp is
the same now prints the same, and only the others are read and fingerprinted again. A manifest
from before stamps is compared in full. This module renders nothing and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailflow.campaign.report_entries import Change, changes, fingerprints, report_entries
from mailflow.ledger.models import CoordinatorText, Member, Report, Submission
from mailflow.notices import Notice
from mailflow.states import ReportState, SubmissionStatus

__all__ = ["STAMP", "changed_since_sent", "stamps", "todo_rows"]

#: The manifest key of a contribution's stamp.
STAMP = "stamp"
# Part of every stamp: a new way of fingerprinting must not meet the old fingerprints of rows
# whose stamp did not change. Raise it when `fingerprints` changes what it hashes.
_FINGERPRINTS = "1"


def stamps(session: Session, campaign_id: int) -> dict[str, str]:
    """Per accepted submission id (as text, as in the manifest): its stamp."""
    latest_text = dict(
        session.execute(
            select(CoordinatorText.submission_id, func.max(CoordinatorText.id))
            .join(Submission, Submission.id == CoordinatorText.submission_id)
            .where(
                Submission.campaign_id == campaign_id,
                Submission.status == SubmissionStatus.ACCEPTED.value,
            )
            .group_by(CoordinatorText.submission_id)
        ).all()
    )
    rows = session.execute(
        select(Submission.id, Submission.revision, Member.revision)
        .outerjoin(Member, Member.id == Submission.member_id)
        .where(
            Submission.campaign_id == campaign_id,
            Submission.status == SubmissionStatus.ACCEPTED.value,
        )
    )
    return {
        str(submission_id): (
            f"{_FINGERPRINTS}.{revision}.{member_revision or 0}.{latest_text.get(submission_id, 0)}"
        )
        for submission_id, revision, member_revision in rows
    }


# The contributions of sent reports' manifests, by ledger, report id and Message-ID: a sent
# report's manifest never changes (a resend is a new report), and reading 10,000 of them from
# JSON costs more than the rest of the check. A few kept: a process serves one or two ledgers.
_SENT: dict[tuple[str, int, str], Mapping[str, Mapping[str, Any]]] = {}
_SENT_KEPT = 4


def _last_sent(session: Session, campaign_id: int) -> Mapping[str, Mapping[str, Any]] | None:
    """The contributions of the last sent report's manifest (None without one)."""
    row = session.execute(
        select(Report.id, Report.message_id)
        .where(Report.campaign_id == campaign_id, Report.state != ReportState.DRAFT.value)
        .order_by(Report.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    key = (str(session.get_bind().engine.url), row[0], row[1] or "")
    if key not in _SENT:
        manifest = session.scalar(select(Report.manifest).where(Report.id == row[0]))
        if not manifest:
            return None
        while len(_SENT) >= _SENT_KEPT:
            del _SENT[next(iter(_SENT))]
        _SENT[key] = manifest.get("contributions", {})
    return _SENT[key]


def changed_since_sent(session: Session, campaign_id: int) -> list[Change]:
    """Contributions changed in the ledger since the last report was sent (none if none went),
    by member address."""
    included = _last_sent(session, campaign_id)
    if included is None:
        return []
    if any(STAMP not in entry for entry in included.values()):
        return changes(included, fingerprints(report_entries(session, campaign_id)))
    now = stamps(session, campaign_id)
    same = {key for key, entry in included.items() if now.get(key) == entry[STAMP]}
    if len(same) == len(included) == len(now):
        return []  # every contribution as it was sent: the common case, read nothing more
    # A member has one accepted contribution at a time, so one whose stamp held takes no part
    # in any change: compare the others only.
    before = {key: entry for key, entry in included.items() if key not in same}
    again = [int(key) for key in now if key not in same]
    return changes(before, fingerprints(report_entries(session, campaign_id, again)))


def todo_rows(session: Session, found: list[Change]) -> list[dict[str, Any]]:
    """The changes as `status` lists them: the submission, its member and status, and what
    changed in words."""
    statuses = _statuses(session, found)
    return [_row(change, statuses) for change in found]


def _row(change: Change, statuses: Mapping[int, str]) -> dict[str, Any]:
    status = statuses.get(change.submission_id, SubmissionStatus.ACCEPTED.value)
    code = getattr(change.what, "code", "")
    what: str
    if code == "newly_accepted":
        what = Notice("accepted after the report was sent", "accepted_after_report")
    elif code == "no_longer_accepted":
        what = Notice(
            f"in the sent report, now {status.replace('_', ' ')}", "reported_now", status=status
        )
    elif code == "new_version":
        what = Notice(
            f"a new version of #{change.reported}, which the sent report has",
            "new_version_of_reported",
            reported=change.reported,
        )
    else:
        what = Notice(
            "changed since the report was sent (an edit, a translation or the member's details)",
            "changed_since_report",
        )
    return {
        "id": change.submission_id,
        "member": change.member,
        "status": status,
        "change": what,
        "label": change.label,
        "reported": change.reported,
    }


def _statuses(session: Session, found: list[Change]) -> dict[int, str]:
    """The status of each submission the sent report has that is no longer accepted."""
    gone = [c.submission_id for c in found if getattr(c.what, "code", "") == "no_longer_accepted"]
    if not gone:
        return {}
    return dict(
        session.execute(select(Submission.id, Submission.status).where(Submission.id.in_(gone)))
        .tuples()
        .all()
    )
