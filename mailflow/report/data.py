"""The report's data files: ``contributions.csv`` and ``contributions.json``, from the view model.

Both list every contribution once, in report order, with the same fields: one column (or key) per
field of the call in the member's words (``why`` … ``future_actions``) and in English
(``why_en`` …), the country as an ISO code, its English name and the spelling as written, the
language, who gave the English version, the links and a completeness note. Timestamps are ISO
8601 to the second. The CSV is UTF-8 with a byte order mark (so spreadsheet programs read
Vietnamese, Arabic and Chinese right), comma-separated or, for the many spreadsheet programs set
up to expect it, semicolon-separated, and guards cells a spreadsheet would run as a formula; the
JSON is written by `json.dumps`, compact. This module decides nothing about what a contribution says
(`mailflow.report.build` does).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from mailflow.report.content import PROSE_FIELDS
from mailflow.report.view import Item, View, iso
from mailflow.untrusted import clean_text, csv_cell

__all__ = ["CSV_COLUMNS", "DELIMITERS", "csv_bytes", "json_bytes", "records"]

#: Columns of ``contributions.csv``, in order (keys may be added, never renamed).
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "organisation",
    "country",
    "member",
    "member_name",
    "language",
    "action_lines",
    "word_count",
    "links",
    "received_at",
    "text",
    "number",
    "version",
    "country_code",
    "country_as_written",
    *PROSE_FIELDS,
    *(f"{name}_en" for name in PROSE_FIELDS),
    "english_version",
    "edited_by_coordinator",
    "completeness",
)
#: The CSV dialects offered: ``comma`` (RFC 4180) and ``semicolon`` (Excel in many locales).
DELIMITERS = {"comma": ",", "semicolon": ";"}


def _text(item: Item) -> str:
    """What the member said, as it goes to IFLA, in the member's words: the free text, or the
    fields under their English labels."""
    if item.free_original or item.free_english:
        return "\n".join(item.free_original or item.free_english)
    return "\n".join(
        f"{field.label}: {' '.join(field.original or field.english)}"
        for field in item.fields
        if not field.missing
    )


def _record(item: Item) -> dict[str, Any]:
    """One contribution's values by CSV column (lists kept as lists)."""
    record: dict[str, Any] = {
        "id": item.id,
        "organisation": item.organisation,
        "country": item.country_name,
        "member": item.member_address,
        "member_name": item.member_name,
        "language": item.language or None,
        "action_lines": list(item.codes),
        "word_count": item.word_count,
        "links": [link.url for link in item.links],
        "received_at": iso(item.received_at),
        "text": _text(item),
        "number": item.number,
        "version": item.version,
        "country_code": item.country.code if item.country else None,
        "country_as_written": item.country_written,
    }
    for field in item.fields:
        record[field.key] = "\n".join(field.original or field.english)
    for field in item.fields:
        record[f"{field.key}_en"] = "\n".join(field.english)
    record["english_version"] = item.english_by or None
    record["edited_by_coordinator"] = item.edited
    record["completeness"] = item.completeness
    return record


def records(items: Iterable[Item]) -> list[dict[str, Any]]:
    """Every contribution's values by column, once for both files."""
    return [_record(item) for item in items]


def csv_bytes(rows: Iterable[dict[str, Any]], delimiter: str = ",") -> bytes:
    """The contributions (`records`) as CSV, one column per field; UTF-8 with a BOM."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        record = dict(row)
        record["action_lines"] = ";".join(record["action_lines"])
        record["links"] = " ".join(record["links"])
        record["edited_by_coordinator"] = "yes" if record["edited_by_coordinator"] else ""
        writer.writerow(
            [
                csv_cell(value) if isinstance(value, str) else ("" if value is None else value)
                for value in map(record.__getitem__, CSV_COLUMNS)
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


def json_bytes(view: View, rows: list[dict[str, Any]]) -> bytes:
    """The report as JSON: the campaign, the overview and every contribution's fields."""
    meta = view.meta
    document: dict[str, Any] = {
        "association": view.association,
        "campaign": view.campaign,
        "deadline": iso(meta.deadline),
        "word_limit": meta.word_limit,
        "recipient": view.recipient,
        "compiled_at": iso(meta.compiled_at),
        "summary": clean_text(meta.summary),
        "overview": {
            "contributions": view.contributions,
            "members": view.members,
            "action_lines": {line.code: line.count for line in view.lines},
            "countries": dict(view.countries),
            "members_without_contribution": list(view.silent_members),
        },
        "contributions": rows,
    }
    # Without indentation json.dumps runs its C encoder: a tenth of the time at 10,000
    # contributions. Every JSON viewer and `python -m json.tool` indent it for reading.
    return (json.dumps(document, ensure_ascii=False) + "\n").encode()
