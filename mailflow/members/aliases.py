"""Adding an address to a member, and removing one.

The rules a coordinator can rely on:

- An address belongs to one member at a time: adding another member's address is refused
  (`AddressTakenError` names that member and how to take the address from them first).
- Adding an address that already sent mail links that sender's memberless submissions (held as
  ``not_member``) to the member, as `mailflow members add` does.
- Removing an address forgets it as the member's, nothing else: the submissions that came from
  it stay the member's (a submission keeps its own member and sender address, so the ledger
  never loses who sent what). Mail from it later is a stranger's again: held as ``not_member``
  and not answered, until it is given to a member.
- Removing the primary address (the first) makes the next address the primary one, so calls
  and reminders go there; the result says so. A member keeps at least one address: removing
  the last is refused (`mailflow members deactivate` stops mail to a member instead).

Giving and removing addresses changes nothing else of the member (name, language, active flag).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from mailflow.errors import NotFoundError, StateError
from mailflow.ledger.models import MemberAddress
from mailflow.members.core import (
    describe,
    find_many,
    get_by_address,
    relink_submissions,
    taken_error,
)
from mailflow.notices import Notice


@dataclass(frozen=True)
class AliasChange:
    """What an `add` or `remove` did to one member."""

    member_id: int
    member: str  # "Name <primary address>", as it is after the change
    addresses: tuple[str, ...]  # the member's addresses after the change, primary first
    changed: tuple[str, ...]  # the addresses added or removed
    unchanged: tuple[str, ...] = ()  # addresses given to add that the member already had
    relinked: tuple[int, ...] = ()  # submissions now attached to the member
    primary_before: str = ""

    @property
    def primary(self) -> str:
        return self.addresses[0] if self.addresses else ""

    @property
    def new_primary(self) -> bool:
        """True when the change made another address the primary one."""
        return self.primary != self.primary_before

    def as_dict(self) -> dict[str, Any]:
        return {
            "member_id": self.member_id,
            "member": self.member,
            "email": self.primary,
            "aliases": list(self.addresses[1:]),
            "addresses": list(self.addresses),
            "changed": list(self.changed),
            "unchanged": list(self.unchanged),
            "relinked_submissions": list(self.relinked),
            "new_primary": self.new_primary,
        }


def add(session: Session, address: str, aliases: Iterable[str]) -> AliasChange:
    """Give the member owning ``address`` the (normalised) ``aliases``; links their held mail.

    Raises `NotFoundError` when no member has ``address``, `AddressTakenError` when an alias is
    another member's (nothing is added then).
    """
    member = get_by_address(session, address)
    primary = member.addresses[0].address
    wanted = list(dict.fromkeys(aliases))
    owners = find_many(session, wanted)
    for alias in wanted:
        owner = owners[alias]
        if owner is not None and owner is not member:
            raise taken_error(alias, owner)
    new = [alias for alias in wanted if owners[alias] is None]
    for alias in new:
        member.addresses.append(MemberAddress(address=alias))
    session.flush()
    relinked = relink_submissions(session, member, new) if new else ()
    return AliasChange(
        member_id=member.id,
        member=describe(member),
        addresses=tuple(a.address for a in member.addresses),
        changed=tuple(new),
        unchanged=tuple(alias for alias in wanted if alias not in new),
        relinked=relinked,
        primary_before=primary,
    )


def remove(session: Session, address: str, aliases: Iterable[str]) -> AliasChange:
    """Take the (normalised) ``aliases`` from the member owning ``address``.

    Raises `NotFoundError` when no member has ``address`` or an alias is not one of theirs
    (naming whose it is, if anyone's), `StateError` when it would leave them no address; nothing
    is removed then.
    """
    member = get_by_address(session, address)
    primary = member.addresses[0].address
    wanted = list(dict.fromkeys(aliases))
    rows = {row.address: row for row in member.addresses}
    for alias in wanted:
        if alias not in rows:
            owner = find_many(session, [alias])[alias]
            whose = f"it is an address of {describe(owner)}" if owner else "nobody has it"
            raise NotFoundError(
                Notice(
                    f"{alias} is not an address of {describe(member)} ({whose}); "
                    "their addresses: " + ", ".join(rows),
                    "not_their_address",
                    address=alias,
                    member=describe(member),
                    addresses=", ".join(rows),
                )
            )
    if len(wanted) >= len(rows):
        raise StateError(
            Notice(
                f"{describe(member)} would have no address left; a member keeps at least one "
                f"(add the new one first with `mailflow members alias {primary} --add OTHER`, "
                f"or stop mail to them with `mailflow members deactivate {primary}`)",
                "last_address",
                member=describe(member),
            )
        )
    for alias in wanted:
        # Only the address row goes: submissions keep their member_id and sender_address.
        member.addresses.remove(rows[alias])
    session.flush()
    return AliasChange(
        member_id=member.id,
        member=describe(member),
        addresses=tuple(a.address for a in member.addresses),
        changed=tuple(wanted),
        primary_before=primary,
    )
