"""Importing the roster from a CSV file, as spreadsheets save it.

Importing is an upsert keyed on the address: a row whose address is known updates that member.
A row's further addresses go in an ``aliases`` column (or after the first in ``email``),
separated by spaces, commas or semicolons; an import adds those the member does not have yet.
It never removes an address: a roster is often a partial or older export, and an address dropped
by mistake would send that member's next contribution to the held list as a stranger's. The
addresses a member has beyond the row's are kept and listed (``kept`` in each row's change) so
that ``--dry-run`` says so; removing one is `mailflow.members.aliases`' job.

The import forgives what spreadsheets write: ``,``, ``;`` or tab separators, UTF-8 with or without
a byte-order mark, Windows-1252 (with a warning). It refuses the whole file, naming every line,
when a row lacks an address or a name, holds something that is not an address, repeats an
address of another row (case-insensitively), or gives a member an address of another member;
it warns about languages mailflow does not write in (those members get English) and names the
members it would make active again.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from mailflow.answering.i18n import normalize_language
from mailflow.errors import RosterError
from mailflow.ledger.models import Member
from mailflow.members.core import find_many, normalise_address, taken_error, upsert_member
from mailflow.notices import Notice

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


def read_roster_text(path: Path) -> tuple[str, list[str]]:
    """The file's text and warnings: UTF-8 (a BOM is dropped), else Windows-1252 with a warning."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RosterError(
            Notice(
                f"{path}: cannot be read: {exc.strerror}",
                "roster_unreadable",
                file=path.name,
                reason=exc.strerror or "",
            )
        ) from None
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        raise RosterError(
            Notice(
                f'{path}: neither UTF-8 nor Windows-1252 text; save it as "CSV UTF-8"',
                "roster_encoding",
                file=path.name,
            )
        ) from None
    return text, [
        Notice(
            f"{path}: not UTF-8; read as Windows-1252 "
            '(check accented names, or save as "CSV UTF-8")',
            "roster_cp1252",
            file=path.name,
        )
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
        raise RosterError(
            Notice(
                f"{path}: needs a header row with at least: {','.join(CSV_COLUMNS)}",
                "roster_header",
                file=path.name,
                columns=",".join(CSV_COLUMNS),
            )
        )
    reader.fieldnames = header
    problems: list[tuple[int, str]] = []
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
            empty = Notice(
                f"no {' and no '.join(missing)}", "row_missing", columns=", ".join(missing)
            )
            problems.append((line, empty))
            continue
        raw = _SPLIT.split(" ".join([values["email"], *(values.get(c, "") for c in ALIAS_COLUMNS)]))
        addresses = [normalise_address(a) for a in raw if a]
        if not all(addresses):
            bad = [a for a in raw if a and not normalise_address(a)]
            problems.append(
                (line, Notice(f"not a mail address: {bad[0]!r}", "row_not_address", value=bad[0]))
            )
            continue
        repeated = [a for a in addresses if a in seen]
        if repeated:
            problems.append(
                (
                    line,
                    Notice(
                        f"{repeated[0]} is also on line {seen[repeated[0]]}",
                        "row_repeated",
                        address=repeated[0],
                        other=seen[repeated[0]],
                    ),
                )
            )
            continue
        seen.update(dict.fromkeys(addresses, line))
        language = values.get("language", "").lower()
        if language and normalize_language(language) is None:
            unanswerable.append((addresses[0], language))
        values["language"] = normalize_language(language) or language
        rows.append((line, list(dict.fromkeys(addresses)), values))
    owners = _owners(session, seen)
    for line, addresses, _ in rows:
        problems.extend((line, taken) for taken in _taken(addresses, owners))
    if problems:
        count = len(problems)
        raise RosterError(
            Notice(
                f"{path}: {count} row{'s' if count > 1 else ''} cannot be imported, "
                "so nothing was:\n  "
                + "\n  ".join(f"line {line}: {problem}" for line, problem in sorted(problems)),
                "roster_rows",
                file=path.name,
                count=count,
                problems=tuple(
                    Notice(f"line {line}: {problem}", "row_problem", line=line, problem=problem)
                    for line, problem in sorted(problems)
                ),
            )
        )
    added = updated = unchanged = 0
    reactivated: list[str] = []
    relinked: list[int] = []
    changes: list[dict[str, Any]] = []
    for line, addresses, values in rows:
        # What the row finds before it writes: its member's addresses, new or missing from it.
        member = next((owners[a] for a in addresses if owners[a] is not None), None)
        had = [a.address for a in member.addresses] if member is not None else []
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
                # an existing member's addresses the row adds, and those it does not list (kept)
                "new_addresses": [a for a in addresses if a not in had] if had else [],
                "kept": [a for a in had if a not in addresses],
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


def _owners(session: Session, addresses: Iterable[str]) -> dict[str, Member | None]:
    """`find_many` in chunks (a roster of thousands stays below the database's bound values)."""
    wanted = list(addresses)
    found: dict[str, Member | None] = {}
    for start in range(0, len(wanted), 500):
        found.update(find_many(session, wanted[start : start + 500]))
    return found


def _taken(addresses: list[str], owners: dict[str, Member | None]) -> list[str]:
    """Why a row cannot be imported: it gives its member an address of another member."""
    members = [owners[a] for a in addresses if owners[a] is not None]
    if not members:
        return []
    member = members[0]  # the row's member: the owner of its first known address
    return [
        taken_error(a, owner).args[0]
        for a in addresses
        if (owner := owners[a]) is not None and owner is not member
    ]
