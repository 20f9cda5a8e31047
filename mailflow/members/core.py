"""The member roster: add, look up by address, list, deactivate.

A member is a library or association with one or more addresses (lower-cased, unique across the
roster), a preferred language and an active flag. The first address (the oldest) is the member's
primary one: calls and reminders go to it (to the next one when it bounces); the others are
aliases, which identify the member's mail just as well. An address belongs to one member at a
time: giving a member an address of another member raises `AddressTakenError` naming that
member, never moves the address silently.

Giving a member an address that already sent mail links that sender's submissions that have no
member (held as ``not_member``) to the member, so the report shows the member's organisation.
The CSV import is in `mailflow.members.roster`, adding and removing aliases in
`mailflow.members.aliases`. This package does not send anything (the call and reminders are in
`mailflow.campaign`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from mailflow.errors import AddressTakenError, NotFoundError, UsageError
from mailflow.ledger.models import Member, MemberAddress, Submission
from mailflow.notices import Notice


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


def addresses_given(given: Iterable[str]) -> list[str]:
    """The bare, lower-case addresses of what a user typed; `UsageError` naming one that is
    not an address (the CLI exits 2 on it)."""
    given = list(given)
    normalised = [normalise_address(a) for a in given]
    bad = [a for a, n in zip(given, normalised, strict=True) if not n]
    if bad:
        raise UsageError(f"not a mail address: {bad[0]!r}")
    return normalised


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
    addresses = list(dict.fromkeys(a.strip().lower() for a in addresses if a.strip()))
    owners = find_many(session, addresses)
    # The member is the owner of the first address that has one; another owner is refused below.
    existing = next((owners[a] for a in addresses if owners[a] is not None), None)
    member = existing if existing is not None else Member()
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
        owner = owners[address]
        if owner is not None and owner is not member:
            raise taken_error(address, owner)
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


def get_by_address(session: Session, address: str) -> Member:
    """The member who owns ``address``; `NotFoundError` saying how to add one otherwise."""
    member = find_by_address(session, address)
    if member is None:
        raise NotFoundError(
            Notice(
                f"no member with address {address.strip().lower()}; add one with "
                f'`mailflow members add {address.strip().lower()} --name "…"`',
                "no_member",
                address=address.strip().lower(),
            )
        )
    return member


def describe(member: Member) -> str:
    """The member as a coordinator names them: "Name <primary address>"."""
    primary = member.addresses[0].address if member.addresses else ""
    if not member.name:
        return primary or f"member {member.id}"
    return f"{member.name} <{primary}>" if primary else member.name


def taken_error(address: str, owner: Member) -> AddressTakenError:
    """The refusal to give ``address`` to a member while ``owner`` has it."""
    primary = owner.addresses[0].address if owner.addresses else address
    return AddressTakenError(
        Notice(
            f"{address} is an address of another member, {describe(owner)}; take it from them "
            f"first with `mailflow members alias {primary} --remove {address}`",
            "address_taken",
            address=address,
            owner=describe(owner),
            primary=primary,
        ),
        address=address,
        owner=describe(owner),
    )


def deactivate(session: Session, address: str) -> Member:
    member = find_by_address(session, address)
    if member is None:
        raise NotFoundError(
            Notice(f"no member with address {address}", "no_member", address=address)
        )
    member.active = False
    return member


def all_members(session: Session) -> list[Member]:
    return list(
        session.scalars(select(Member).options(selectinload(Member.addresses)).order_by(Member.id))
    )


def as_dict(member: Member) -> dict[str, Any]:
    """The JSON shape of `members list --json`: ``email`` is the primary address, ``aliases``
    the others, ``addresses`` all of them, primary first."""
    addresses = [a.address for a in member.addresses]
    return {
        "id": member.id,
        "email": addresses[0] if addresses else "",
        "aliases": addresses[1:],
        "addresses": addresses,
        "undeliverable": [a.address for a in member.addresses if a.undeliverable_at],
        "name": member.name,
        "organisation": member.organisation,
        "country": member.country,
        "language": member.language,
        "active": member.active,
    }


def detail(session: Session, member: Member) -> dict[str, Any]:
    """`members show --json`: `as_dict` plus every submission of the member, oldest first, with
    the address it came from (which may since have been removed from the member)."""
    subs = session.scalars(
        select(Submission).where(Submission.member_id == member.id).order_by(Submission.id)
    )
    return {
        **as_dict(member),
        "submissions": [
            {"id": s.id, "status": s.status, "version": s.version, "from": s.sender_address}
            for s in subs
        ],
    }
