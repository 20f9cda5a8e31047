"""The submissions as data for the coordinator: the newest version per member, as CSV or JSON.

Every field a member wrote goes out as text; a CSV cell a spreadsheet would run as a formula
gets a leading quote (`mailflow.untrusted.csv_cell`).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from mailflow import submissions
from mailflow.config import Settings
from mailflow.ledger import Ledger, sync_campaign
from mailflow.untrusted import csv_cell

__all__ = ["export"]


def export(settings: Settings, ledger: Ledger, fmt: str) -> str:
    """The current submissions (newest version per member) as CSV or JSON text."""
    with ledger.transaction() as session:
        campaign = sync_campaign(session, settings.campaign)
        rows: list[dict[str, Any]] = [
            submissions.as_dict(session, s, full=True)
            for s in submissions.listing(session, campaign.id)
        ]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2)
    out = io.StringIO()
    columns = [
        "id",
        "member",
        "organisation",
        "country",
        "status",
        "version",
        "language",
        "action_lines",
        "word_count",
        "links",
        "issues",
        "received_at",
        "text",
    ]
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        flat = dict(row)
        flat["action_lines"] = ";".join(row["action_lines"])
        flat["links"] = " ".join(row["links"])
        flat["issues"] = ";".join(i["code"] for i in row["issues"])
        flat = {k: _csv_safe(v) for k, v in flat.items()}
        writer.writerow(flat)
    return out.getvalue()


def _csv_safe(value: Any) -> Any:
    """Cells a spreadsheet would run as a formula get a leading quote."""
    return csv_cell(value) if isinstance(value, str) else value
