"""The member roster: add, import, look up, list, deactivate; give and remove addresses.

`core` holds the roster itself (a member, their addresses, the primary one first), `roster` the
CSV import as spreadsheets save it, `aliases` adding and removing a member's further addresses.
This package does not send anything (the call and reminders are in `mailflow.campaign`).
"""

from __future__ import annotations

from mailflow.members import aliases
from mailflow.members.aliases import AliasChange
from mailflow.members.core import (
    Upserted,
    addresses_given,
    all_members,
    as_dict,
    deactivate,
    describe,
    detail,
    find_by_address,
    find_many,
    get_by_address,
    normalise_address,
    relink_submissions,
    upsert,
    upsert_member,
)
from mailflow.members.roster import (
    ALIAS_COLUMNS,
    CSV_COLUMNS,
    ImportResult,
    import_csv,
    read_roster_text,
)

__all__ = [
    "ALIAS_COLUMNS",
    "CSV_COLUMNS",
    "AliasChange",
    "ImportResult",
    "Upserted",
    "addresses_given",
    "aliases",
    "all_members",
    "as_dict",
    "deactivate",
    "describe",
    "detail",
    "find_by_address",
    "find_many",
    "get_by_address",
    "import_csv",
    "normalise_address",
    "read_roster_text",
    "relink_submissions",
    "upsert",
    "upsert_member",
]
