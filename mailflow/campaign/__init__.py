"""The coordinator's campaign actions, one module each: `mailings` (call, reminders), `review`
(decide on held submissions, reprocess), `reporting` (compile and send the report), `export`
(the submissions as CSV or JSON) and `report_changes` (what changed since the report was sent,
for `status`).

Each action takes the settings and the ledger, does its work in as few transactions as it needs
and returns a small result for the CLI or the web console to show.
"""

from mailflow.campaign.export import export
from mailflow.campaign.mailings import Mailing, send_call, send_reminders
from mailflow.campaign.report_changes import changed_since_sent, todo_rows
from mailflow.campaign.reporting import (
    Compiled,
    Sent,
    compile_report,
    report_entries,
    report_state,
    send_report,
)
from mailflow.campaign.review import reprocess, review

__all__ = [
    "Compiled",
    "Mailing",
    "Sent",
    "changed_since_sent",
    "compile_report",
    "export",
    "report_entries",
    "report_state",
    "reprocess",
    "review",
    "send_call",
    "send_reminders",
    "send_report",
    "todo_rows",
]
