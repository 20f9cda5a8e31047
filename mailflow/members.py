"""The member roster: import from CSV, add, list, deactivate, and look up by address.

A member is a library or association with one or more addresses (lower-cased, unique across the
roster), a preferred language and an active flag. Importing is an upsert keyed on the address:
a row whose address is known updates that member. A row's further addresses go in an ``aliases``
column (or after the first in ``email``), separated by spaces, commas or semicolons.

The import forgives what spreadsheets write: ``,``, ``;`` or tab separators, UTF-8 with or without
a byte-order mark, Windows-1252 (with a warning). It refuses the whole file, naming every line,
when a row lacks an address or a name, holds something that is not an address, or repeats an
address of another row (case-insensitively); it warns about languages mailflow does not write in
(those members get English) and names the members it would make active again.

Giving a member an address that already sent mail links that sender's submissions that have no
member (held as ``not_member``) to the member, so the report shows the member's organisation.
This module does not send anything (the call and reminders are in `mailflow.campaign`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mailflow.answering.i18n import normalize_language
from mailflow.errors import NotFoundError, RosterError
from mailflow.ledger.models import Member, MemberAddress, Submission

CSV_COLUMNS = ("email", "name", "organisation", "country", "language")
#: Optional columns: more addresses of the same member.
ALIAS_COLUMNS = ("aliases", "alias")
REQUIRED = ("email", "name")
_SPLIT = re.compile(r"[;,\s]+")


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    # (address, language) of members who prefer a language mailflow cannot write: they get English.
    unanswerable: tuple[tuple[str, str], ...] = ()
    unchanged: int = 0
    reactivated: tuple[str, ...] = ()
    relinked: tuple[int, ...] = ()  # submissions now attached to a member
    warnings: tuple[str, ...] = ()
    changes: tuple[dict[str, Any], ...] = ()  # one per row: line, addresses, action, fields
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "reactivated": list(self.reactivated),
            "relinked_submissions": list(self.relinked),
            "warnings": list(self.warnings),
            "unanswerable": [list(pair) for pair in self.unanswerable],
            "changes": list(self.changes),
            "dry_run": self.dry_run,
        }


@dataclass(frozen=True)
class Upserted:
    created: bool
    reactivated: bool
    changed: bool
    relinked: tuple[int, ...] = field(default=())


def normalise_address(value: str) -> str:
    """The bare, lower-case address of ``value`` ("" when it holds none)."""
    address = parseaddr(value.strip())[1].strip().lower()
    local, _, domain = address.rpartition("@")
    return address if local and domain and " " not in address else ""


def read_roster_text(path: Path) -> tuple[str, list[str]]:
    """The file's text and warnings: UTF-8 (a BOM is dropped), else Windows-1252 with a warning."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RosterError(f"{path}: cannot be read: {exc.strerror}") from None
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        raise RosterError(
            f'{path}: neither UTF-8 nor Windows-1252 text; save it as "CSV UTF-8"'
        ) from None
    return text, [
        f'{path}: not UTF-8; read as Windows-1252 (check accented names, or save as "CSV UTF-8")'
    ]


def _dialect(text: str) -> str:
    """The separator of the header line: the most frequent of comma, semicolon and tab."""
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def import_csv(session: Session, path: Path, *, dry_run: bool = False) -> ImportResult:
    """Add or update members from a CSV (columns email,name,organisation,country,language).

    All rows or none: any row at fault raises `RosterError` naming each line. ``dry_run``
    works everything out in ``session`` the same way; the caller rolls it back.
    """
    text, warnings = read_roster_text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_dialect(text))
    header = [
        (name or "").strip().lower().replace("e-mail", "email") for name in reader.fieldnames or []
    ]
    if "email" not in header:
        raise RosterError(f"{path}: needs a header row with at least: {','.join(CSV_COLUMNS)}")
    reader.fieldnames = header
    problems: list[str] = []
    unanswerable: list[tuple[str, str]] = []
    rows: list[tuple[int, list[str], dict[str, str]]] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        values = {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}
        if not any(values.values()):
            continue  # a blank line
        missing = [name for name in REQUIRED if not values.get(name)]
        if missing:
            problems.append(f"line {line}: no {' and no '.join(missing)}")
            continue
        raw = _SPLIT.split(" ".join([values["email"], *(values.get(c, "") for c in ALIAS_COLUMNS)]))
        addresses = [normalise_address(a) for a in raw if a]
        if not all(addresses):
            bad = [a for a in raw if a and not normalise_address(a)]
            problems.append(f"line {line}: not a mail address: {bad[0]!r}")
            continue
        repeated = [a for a in addresses if a in seen]
        if repeated:
            problems.append(f"line {line}: {repeated[0]} is also on line {seen[repeated[0]]}")
            continue
        seen.update(dict.fromkeys(addresses, line))
        language = values.get("language", "").lower()
        if language and normalize_language(language) is None:
            unanswerable.append((addresses[0], language))
        values["language"] = normalize_language(language) or language
        rows.append((line, list(dict.fromkeys(addresses)), values))
    if problems:
        count = len(problems)
        raise RosterError(
            f"{path}: {count} row{'s' if count > 1 else ''} cannot be imported, so nothing was:\n  "
            + "\n  ".join(problems)
        )
    added = updated = unchanged = 0
    reactivated: list[str] = []
    relinked: list[int] = []
    changes: list[dict[str, Any]] = []
    for line, addresses, values in rows:
        done = upsert_member(
            session,
            addresses,
            name=values.get("name", ""),
            organisation=values.get("organisation", ""),
            country=values.get("country", ""),
            language=values.get("language", ""),
        )
        action = "add" if done.created else "update" if done.changed else "unchanged"
        added += done.created
        updated += action == "update"
        unchanged += action == "unchanged"
        if done.reactivated:
            reactivated.append(f"{values['name']} <{addresses[0]}>")
        relinked.extend(done.relinked)
        changes.append(
            {
                "line": line,
                "addresses": addresses,
                "name": values["name"],
                "action": action,
                "reactivated": done.reactivated,
            }
        )
    return ImportResult(
        added=added,
        updated=updated,
        unchanged=unchanged,
        reactivated=tuple(reactivated),
        relinked=tuple(relinked),
        unanswerable=tuple(unanswerable),
        warnings=tuple(warnings),
        changes=tuple(changes),
        dry_run=dry_run,
    )


def upsert(
    session: Session,
    addresses: Iterable[str],
    *,
    name: str = "",
    organisation: str = "",
    country: str = "",
    language: str = "",
) -> bool:
    """Create or update the member owning any of ``addresses``; True when it was created."""
    return upsert_member(
        session,
        addresses,
        name=name,
        organisation=organisation,
        country=country,
        language=language,
    ).created


def upsert_member(
    session: Session,
    addresses: Iterable[str],
    *,
    name: str = "",
    organisation: str = "",
    country: str = "",
    language: str = "",
) -> Upserted:
    """Create or update the member owning any of ``addresses``, made active; what changed."""
    addresses = [a for a in dict.fromkeys(addresses) if a]
    existing = session.scalars(
        select(MemberAddress).where(MemberAddress.address.in_(addresses))
    ).first()
    member = existing.member if existing else Member()
    created = existing is None
    if created:
        session.add(member)
    before = (member.name, member.organisation, member.country, member.language, member.active)
    reactivated = not created and not member.active
    member.name = name or member.name or ""
    member.organisation = organisation or member.organisation or ""
    member.country = country or member.country or ""
    member.language = language or member.language or ""
    member.active = True
    known = {a.address for a in member.addresses}
    new = [a for a in addresses if a not in known]
    for address in new:
        owner = session.scalars(
            select(MemberAddress).where(MemberAddress.address == address)
        ).first()
        if owner is not None:  # the address moves to this member
            owner.member = member
        else:
            member.addresses.append(MemberAddress(address=address))
    session.flush()
    after = (member.name, member.organisation, member.country, member.language, member.active)
    relinked = relink_submissions(session, member, new) if new else ()
    return Upserted(
        created=created,
        reactivated=reactivated,
        changed=created or before != after or bool(new),
        relinked=relinked,
    )


def relink_submissions(
    session: Session, member: Member, addresses: Iterable[str]
) -> tuple[int, ...]:
    """Attach the memberless submissions sent from ``addresses`` to ``member``; their ids."""
    subs = list(
        session.scalars(
            select(Submission).where(
                Submission.member_id.is_(None),
                Submission.sender_address.in_(list(addresses)),
            )
        )
    )
    for sub in subs:
        sub.member_id = member.id
    session.flush()
    return tuple(sub.id for sub in subs)


def find_by_address(session: Session, address: str) -> Member | None:
    """The member who owns ``address`` (any case), or None."""
    return session.scalars(
        select(Member)
        .join(MemberAddress)
        .where(MemberAddress.address == address.strip().lower())
        .limit(1)
    ).first()


def find_many(session: Session, addresses: Iterable[str]) -> dict[str, Member | None]:
    """`find_by_address` for many addresses in one query, keyed by the lower-cased address."""
    wanted = {address.strip().lower() for address in addresses}
    found: dict[str, Member | None] = dict.fromkeys(wanted)
    if wanted:
        rows = session.execute(
            select(MemberAddress.address, Member)
            .join(Member, MemberAddress.member_id == Member.id)
            .where(MemberAddress.address.in_(list(wanted)))
        )
        found.update({address: member for address, member in rows})
    return found


def deactivate(session: Session, address: str) -> Member:
    member = find_by_address(session, address)
    if member is None:
        raise NotFoundError(f"no member with address {address}")
    member.active = False
    return member


def all_members(session: Session) -> list[Member]:
    return list(
        session.scalars(select(Member).options(selectinload(Member.addresses)).order_by(Member.id))
    )


def as_dict(member: Member) -> dict[str, object]:
    """The JSON shape of `members list --json`."""
    return {
        "id": member.id,
        "email": member.addresses[0].address if member.addresses else "",
        "addresses": [a.address for a in member.addresses],
        "undeliverable": [a.address for a in member.addresses if a.undeliverable_at],
        "name": member.name,
        "organisation": member.organisation,
        "country": member.country,
        "language": member.language,
        "active": member.active,
    }
