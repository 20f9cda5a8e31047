"""What the report is made of, read from the ledger: the accepted contributions as report entries
(with the coordinator's edits and English versions), the members who did not answer, and a
fingerprint of each contribution so that a later look can tell what changed.

`report_entries` is one query over the accepted submissions and their members plus one over the
coordinator's texts. `fingerprints` gives, per submission id, a hash of everything of it that the
report prints; the compile stores them in its manifest, and `changes` compares a manifest with
the ledger as it is now (a new version, a review, an edit). This module renders nothing
(`mailflow.report`) and writes nothing (`mailflow.campaign.reporting`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailflow import report
from mailflow.ledger.models import CoordinatorText, InboundMessage, Member, Submission
from mailflow.notices import Notice
from mailflow.reading.language import detect_language
from mailflow.reading.mime import read_message
from mailflow.states import SubmissionStatus

__all__ = ["Change", "changes", "fingerprints", "report_entries", "silent_members"]

#: Submission ids per query when only some are read (an IN list every database takes).
CHUNK = 500
EDIT = "edit"
TRANSLATION = "translation"


@dataclass(frozen=True)
class Change:
    """A contribution that differs between a manifest and the ledger."""

    member: str  # the member's address
    label: str  # "Biblioteca Nacional (#12)"
    what: str  # "a new version", "no longer accepted", "newly accepted", "edited"
    submission_id: int = 0  # the contribution as the ledger has it now, else the one reported
    reported: int | None = None  # the submission the sent report has, if any


def coordinator_texts(session: Session, ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """The latest coordinator text of each kind, by submission id."""
    wanted = list(ids)
    found: dict[int, dict[str, str]] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(CoordinatorText.submission_id, CoordinatorText.kind, CoordinatorText.text)
            .where(CoordinatorText.submission_id.in_(wanted[start : start + CHUNK]))
            .order_by(CoordinatorText.id)
        )
        for submission_id, kind, text in rows:
            found.setdefault(submission_id, {})[kind] = text  # later rows win
    return found


def report_entries(
    session: Session, campaign_id: int, ids: Collection[int] | None = None
) -> list[report.ReportEntry]:
    """Accepted submissions, latest version per member, as report entries, oldest first; only
    those of ``ids`` when given.

    One query for the columns the report prints, joined with the member, and no ORM objects:
    the report of a large campaign reads every accepted submission. An accepted submission is
    its author's latest version (a newer one supersedes it), so no version filter is needed.
    """
    if ids is None:
        return _entries(session, campaign_id, None)
    wanted = sorted(ids)
    return [
        entry
        for start in range(0, len(wanted), CHUNK)
        for entry in _entries(session, campaign_id, wanted[start : start + CHUNK])
    ]


def _entries(
    session: Session, campaign_id: int, ids: Sequence[int] | None
) -> list[report.ReportEntry]:
    accepted = (
        Submission.campaign_id == campaign_id,
        Submission.status == SubmissionStatus.ACCEPTED.value,
        *(() if ids is None else (Submission.id.in_(ids),)),
    )
    rows = session.execute(
        select(
            Submission.id,
            Submission.version,
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
        .where(*accepted)
        .order_by(Submission.id)
    ).all()
    texts = coordinator_texts(session, (row[0] for row in rows)) if rows else {}
    attached = english_attachments(session, campaign_id, ids)
    entries = []
    for (
        submission_id,
        version,
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
        own = texts.get(submission_id, {})
        entries.append(
            report.ReportEntry(
                submission_id=submission_id,
                organisation=fields.get("organisation") or (organisation if has_member else ""),
                country=fields.get("country") or "",
                member_name=name if has_member else "",
                member_address=sender,
                language=language,
                action_lines=tuple(action_lines),
                text=text,
                fields=fields,
                links=tuple(links),
                word_count=word_count,
                received_at=received_at,
                version=version,
                roster_country=(country or "") if has_member else "",
                edited=own.get(EDIT),
                translation=own.get(TRANSLATION),
                member_english=attached.get(submission_id),
            )
        )
    return entries


def english_attachments(
    session: Session, campaign_id: int, ids: Sequence[int] | None = None
) -> dict[int, str]:
    """The English version a member sent as a further attachment, by submission id: of an
    accepted contribution not in English with two or more attachments, the first attachment
    after the one read as the contribution whose text is in English.

    Only those few messages are read again from their stored raw mail; the ledger keeps which
    attachments were read, not their texts one by one.
    """
    rows = session.execute(
        select(Submission.id, Submission.language, Submission.attachments, Submission.source)
        .where(
            Submission.campaign_id == campaign_id,
            Submission.status == SubmissionStatus.ACCEPTED.value,
            *(() if ids is None else (Submission.id.in_(ids),)),
        )
        .order_by(Submission.id)
    ).all()
    wanted = [
        submission_id
        for submission_id, language, attachments, _source in rows
        if len(attachments) >= 2 and (language or "en") != "en"
    ]
    found: dict[int, str] = {}
    for submission_id in wanted:
        raw = session.scalar(
            select(InboundMessage.raw)
            .join(Submission, Submission.inbound_id == InboundMessage.id)
            .where(Submission.id == submission_id)
        )
        if raw is None:
            continue
        message = read_message(raw)
        readable = [a for a in message.attachments if a.text.strip() and a.problem is None]
        for attachment in readable[1:]:
            if detect_language(attachment.text) == "en":
                found[submission_id] = attachment.text
                break
    return found


def silent_members(session: Session, campaign_id: int) -> tuple[int, tuple[str, ...]]:
    """The number of active members, and those without an accepted contribution, by name."""
    answered = select(Submission.member_id).where(
        Submission.campaign_id == campaign_id,
        Submission.status == SubmissionStatus.ACCEPTED.value,
        Submission.member_id.is_not(None),
    )
    members = session.execute(
        select(Member.id, Member.name, Member.organisation, Member.country).where(
            Member.active.is_(True)
        )
    ).all()
    done = set(session.scalars(answered))
    silent = []
    for member_id, name, organisation, country in members:
        if member_id in done:
            continue
        who = organisation or name or f"member {member_id}"
        if name and organisation and name != organisation:
            who = f"{organisation} ({name})"
        place = report.find_country(country) if country else None
        silent.append(f"{who}, {place.name if place else country}" if country else who)
    return len(members), tuple(sorted(silent, key=lambda text: (text.casefold(), text)))


def fingerprints(entries: Sequence[report.ReportEntry]) -> dict[str, dict[str, object]]:
    """Per submission id (as text, for JSON): the member, version and a hash of what is printed."""
    found: dict[str, dict[str, object]] = {}
    for entry in entries:
        # Every printed value as text, NUL-separated: a fingerprint, cheaper than JSON.
        printed = "\0".join(
            (
                str(entry.version),
                entry.organisation,
                entry.country,
                entry.roster_country,
                entry.member_name,
                entry.language or "",
                ",".join(entry.action_lines),
                entry.text,
                repr(sorted(entry.fields.items())),
                " ".join(entry.links),
                str(entry.word_count),
                repr((entry.edited, entry.translation, entry.member_english)),
            )
        )
        digest = hashlib.sha256(printed.encode("utf-8", "surrogatepass")).hexdigest()
        found[str(entry.submission_id)] = {
            "member": entry.member_address.lower(),
            "version": entry.version,
            "label": f"{entry.organisation or entry.member_address} (#{entry.submission_id})",
            "sha256": digest,
        }
    return found


def changes(
    included: Mapping[str, Mapping[str, object]], now: Mapping[str, Mapping[str, object]]
) -> list[Change]:
    """What differs between the contributions of a manifest and those of the ledger now."""
    before = {str(v["member"]): (k, v) for k, v in included.items()}
    after = {str(v["member"]): (k, v) for k, v in now.items()}
    found = []
    for member in sorted(before.keys() | after.keys()):
        old, new = before.get(member), after.get(member)
        if old is not None and new is None:
            what = Notice("no longer accepted", "no_longer_accepted")
            found.append(Change(member, str(old[1]["label"]), what, int(old[0]), int(old[0])))
        elif old is None and new is not None:
            what = Notice("newly accepted", "newly_accepted")
            found.append(Change(member, str(new[1]["label"]), what, int(new[0])))
        elif old is not None and new is not None and old[1]["sha256"] != new[1]["sha256"]:
            what = (
                Notice("a new version", "new_version")
                if old[0] != new[0]
                else Notice("changed (an edit or a translation)", "edited")
            )
            found.append(Change(member, str(new[1]["label"]), what, int(new[0]), int(old[0])))
    return found
