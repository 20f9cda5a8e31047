"""The member roster: import from CSV, add, list, deactivate, and look up by address.

A member is a library or association with one or more addresses (lower-cased, unique across the
roster), a preferred language and an active flag. Importing is an upsert keyed on the address:
a row whose address is known updates that member; a row may list several addresses separated by
``;``. This module does not send anything (the call and reminders are in `mailflow.campaign`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mailflow.answering.i18n import normalize_language
from mailflow.errors import NotFoundError, RosterError
from mailflow.ledger.models import Member, MemberAddress

CSV_COLUMNS = ("email", "name", "organisation", "country", "language")


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    # (address, language) of members who prefer a language mailflow cannot write: they get English.
    unanswerable: tuple[tuple[str, str], ...] = ()


def normalise_address(value: str) -> str:
    """The bare, lower-case address of ``value`` ("" when it holds none)."""
    address = parseaddr(value.strip())[1].strip().lower()
    local, _, domain = address.rpartition("@")
    return address if local and domain and " " not in address else ""


def import_csv(session: Session, path: Path) -> ImportResult:
    """Add or update members from a CSV with columns email,name,organisation,country,language."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RosterError(f"{path}: cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise RosterError(f"{path}: not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "email" not in header:
        raise RosterError(f"{path}: needs a header row with at least: {','.join(CSV_COLUMNS)}")
    reader.fieldnames = header
    added = updated = 0
    unanswerable: list[tuple[str, str]] = []
    for line, row in enumerate(reader, start=2):
        raw_addresses = (row.get("email") or "").replace(",", ";").split(";")
        addresses = [normalise_address(a) for a in raw_addresses if a.strip()]
        if not addresses or not all(addresses):
            raise RosterError(f"{path}:{line}: not a mail address: {row.get('email')!r}")
        created = upsert(
            session,
            addresses,
            name=(row.get("name") or "").strip(),
            organisation=(row.get("organisation") or "").strip(),
            country=(row.get("country") or "").strip(),
            language=(row.get("language") or "").strip().lower(),
        )
        added += created
        updated += not created
        language = (row.get("language") or "").strip()
        if language and normalize_language(language) is None:
            unanswerable.append((addresses[0], language))
    return ImportResult(added=added, updated=updated, unanswerable=tuple(unanswerable))


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
    addresses = [a for a in dict.fromkeys(addresses) if a]
    existing = session.scalars(
        select(MemberAddress).where(MemberAddress.address.in_(addresses))
    ).first()
    member = existing.member if existing else Member()
    created = existing is None
    if created:
        session.add(member)
    member.name = name or member.name or ""
    member.organisation = organisation or member.organisation or ""
    member.country = country or member.country or ""
    member.language = language or member.language or ""
    member.active = True
    known = {a.address for a in member.addresses}
    for address in addresses:
        if address not in known:
            owner = session.scalars(
                select(MemberAddress).where(MemberAddress.address == address)
            ).first()
            if owner is not None:  # the address moves to this member
                owner.member = member
            else:
                member.addresses.append(MemberAddress(address=address))
    session.flush()
    return created


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
