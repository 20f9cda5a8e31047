"""Adding and removing members' addresses, against a model of who owns which address.

Any sequence of adds and removes leaves the roster as the rules say: an address belongs to one
member at most, a member keeps at least one address, the primary is the oldest left, and a
refused change changes nothing.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from mailflow import members
from mailflow.errors import AddressTakenError, NotFoundError, StateError
from mailflow.ledger import Ledger

POOL = [f"a{n}@members.test" for n in range(5)]
FIRST = ["m0@members.test", "m1@members.test", "m2@members.test"]  # each member's first address

Operation = tuple[str, int, str]
operations = st.lists(
    st.tuples(st.sampled_from(["add", "remove"]), st.integers(0, 2), st.sampled_from(POOL + FIRST)),
    max_size=20,
)


def _roster(session: Session) -> list[list[str]]:
    return [list(m["addresses"]) for m in map(members.as_dict, members.all_members(session))]


def _apply(model: list[list[str]], op: Operation) -> type[Exception] | None:
    """What the rules say ``op`` does to ``model`` (changed in place), or the error it raises."""
    kind, who, address = op
    mine = model[who]
    owner = next((i for i, addresses in enumerate(model) if address in addresses), None)
    if kind == "add":
        if owner is not None and owner != who:
            return AddressTakenError
        if owner is None:
            mine.append(address)
        return None
    if owner != who:
        return NotFoundError
    if len(mine) == 1:
        return StateError
    mine.remove(address)
    return None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_adds_and_removes_follow_the_rules(ledger: Ledger, ops: list[Operation]) -> None:
    model = [[address] for address in FIRST]
    with ledger.transaction() as session:
        for address in FIRST:
            members.upsert(session, [address], name=address.partition("@")[0])
        for op in ops:
            kind, who, address = op
            expected = _apply(model, op)
            # A member is named by any address they have now: the primary, here.
            named = _roster(session)[who][0]
            change = members.aliases.add if kind == "add" else members.aliases.remove
            if expected is None:
                change(session, named, [address])
            else:
                with pytest.raises(expected):
                    change(session, named, [address])
            assert _roster(session) == model, op
        session.rollback()
