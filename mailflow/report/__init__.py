"""The report to IFLA: pure rendering of accepted contributions into text, HTML, .docx, .csv and
.json, and the report mail. Same input, same bytes; reads no ledger (`mailflow.campaign.reporting`
feeds it).

- `view` — the view model (`build` builds it): every contribution in one English structure,
  grouped by action line, with what IFLA asked to learn gathered and a cover note;
- `content` — what a contribution says: fields without greetings or sign-offs, English versions;
- `remarks` — what a member says to the coordinator, not to IFLA: greetings, sign-offs,
  postscripts and private remarks;
- `countries` — countries as ISO 3166 codes from names in any language;
- `render` — text and HTML from the templates, and `compile_report`, which assembles all files;
- `data` — ``contributions.csv`` and ``contributions.json``;
- `docx` — ``report.docx``;
- `mail` — the report as a MIME message.
"""

from mailflow.report.countries import Country, find_country
from mailflow.report.data import CSV_COLUMNS, DELIMITERS
from mailflow.report.mail import build_report_mail
from mailflow.report.render import CompiledReport, compile_report
from mailflow.report.view import Replaced, ReportEntry, ReportMeta

__all__ = [
    "CSV_COLUMNS",
    "DELIMITERS",
    "CompiledReport",
    "Country",
    "Replaced",
    "ReportEntry",
    "ReportMeta",
    "build_report_mail",
    "compile_report",
    "find_country",
]
