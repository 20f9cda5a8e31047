"""The report to IFLA: pure rendering of accepted contributions into text, HTML, .docx, .csv and
.json, and the report mail. Same input, same bytes; reads no ledger (`mailflow.campaign.reporting`
feeds it).

- `view` — the view model: entries cleaned, ordered and grouped by action line;
- `render` — text and HTML from the templates, and `compile_report`, which assembles all files;
- `data` — ``contributions.csv`` and ``contributions.json``;
- `docx` — ``report.docx``;
- `mail` — the report as a MIME message.
"""

from mailflow.report.data import CSV_COLUMNS
from mailflow.report.mail import build_report_mail
from mailflow.report.render import CompiledReport, collector_paused, compile_report
from mailflow.report.view import ReportEntry, ReportMeta

__all__ = [
    "CSV_COLUMNS",
    "CompiledReport",
    "ReportEntry",
    "ReportMeta",
    "build_report_mail",
    "collector_paused",
    "compile_report",
]
