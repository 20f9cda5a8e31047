"""The report's data files: ``contributions.csv`` and ``contributions.json``, from the view model.

Both list every contribution once, in report order, with the same fields. The CSV is UTF-8 with a
byte order mark (so spreadsheet programs read Vietnamese, Arabic and Chinese right) and guards
cells a spreadsheet would run as a formula; the JSON is written by `json.dumps`. This module
decides nothing about what a contribution says (`mailflow.report.view` does).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from mailflow.report.view import Item, View, iso
from mailflow.untrusted import clean_text, csv_cell

__all__ = ["CSV_COLUMNS", "csv_bytes", "json_bytes"]

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
)


def csv_bytes(items: Iterable[Item]) -> bytes:
    """UTF-8 with a BOM, so spreadsheet programs read Vietnamese, Arabic and Chinese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    # One list per row, in CSV_COLUMNS order (test_csv_leaves_ordinary_cells_alone checks it).
    writer.writerows(
        [
            item.id,
            csv_cell(item.organisation),
            csv_cell(item.country),
            csv_cell(item.member_address),
            csv_cell(item.member_name),
            csv_cell(item.language),
            ";".join(item.codes),
            item.word_count,
            csv_cell(" ".join(link.url for link in item.links)),
            item.received_at.isoformat(),
            csv_cell(item.text),
        ]
        for item in items
    )
    return buffer.getvalue().encode("utf-8-sig")


def _contribution(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "organisation": item.organisation,
        "country": item.country,
        "member": item.member_address,
        "member_name": item.member_name,
        "language": item.language or None,
        "action_lines": list(item.codes),
        "word_count": item.word_count,
        "links": [link.url for link in item.links],
        "received_at": item.received_at.isoformat(),
        "text": item.text,
        "fields": dict(item.fields),
    }


def json_bytes(view: View) -> bytes:
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
        },
        "contributions": [_contribution(item) for item in view.items],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()
