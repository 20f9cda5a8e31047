"""Compile the accepted contributions of a campaign into the one report mailflow sends to IFLA.

`compile_report` is pure: it takes the accepted contributions (`ReportEntry`, the latest version
of each member) and the campaign facts (`ReportMeta`) and returns a `CompiledReport` — a subject,
a text and an HTML body rendered from the Jinja2 templates in ``templates/report/``, and three
attachments: ``report.docx``, ``contributions.csv`` and ``contributions.json``. The output is
byte-identical for the same input: the view model (`mailflow.report.view`) orders everything
stably and timestamps come from ``ReportMeta.compiled_at`` only. The .docx is
`mailflow.report.docx`, the data files `mailflow.report.data`, the mail `mailflow.report.mail`.
This module does not query the ledger (the caller passes the entries), does not send anything
(that is the outbox) and does not record the report's state.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from mailflow import collector
from mailflow.answering.i18n import templates_dir
from mailflow.errors import MailflowError
from mailflow.notices import Notice
from mailflow.reading.words import count_words
from mailflow.report.build import build_view
from mailflow.report.data import csv_bytes, json_bytes, records
from mailflow.report.docx import build_docx
from mailflow.report.html import bidi, item_html, reference_html, said_html
from mailflow.report.text import item_text
from mailflow.report.view import ReportEntry, ReportMeta, View, isolate

__all__ = ["CompiledReport", "compile_report"]

DOCX_NAME = "report.docx"
CSV_NAME = "contributions.csv"
JSON_NAME = "contributions.json"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class CompiledReport:
    """The rendered report: subject, bodies, attachments, and what the coordinator should know."""

    subject: str
    text: str
    html: str
    attachments: tuple[tuple[str, str, bytes], ...]
    warnings: tuple[str, ...] = ()

    def files(self) -> list[tuple[str, bytes]]:
        """Every file of the report as ``(name, bytes)``, in the order `write` writes them."""
        bodies = [("report.txt", self.text.encode()), ("report.html", self.html.encode())]
        return bodies + [(name, data) for name, _mime, data in self.attachments]

    def write(self, outdir: Path) -> list[Path]:
        """Write the bodies and attachments into ``outdir`` (created if needed); return the paths.

        Each file is written to a temporary name and renamed, so a reader never sees half a file.
        """
        paths: list[Path] = []
        try:
            outdir.mkdir(parents=True, exist_ok=True)
            for name, data in self.files():
                path = outdir / name
                partial = outdir / f".{name}.partial"
                partial.write_bytes(data)
                partial.replace(path)
                paths.append(path)
        except OSError as exc:
            raise MailflowError(f"cannot write the report to {outdir}: {exc.strerror}") from exc
        return paths


@functools.cache
def _environment(folder: Path) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["isolate"] = isolate
    environment.filters["bidi"] = bidi
    environment.filters["item_html"] = item_html
    environment.filters["item_text"] = item_text
    environment.filters["reference_html"] = reference_html
    environment.filters["said_html"] = said_html
    return environment


def _render(name: str, view: View) -> str:
    try:
        template = _environment(templates_dir() / "report").get_template(name)
    except jinja2.TemplateNotFound as exc:
        missing = templates_dir() / "report" / name
        raise MailflowError(f"report template missing: {missing}") from exc
    return template.render(view=view)


def compile_report(entries: Sequence[ReportEntry], meta: ReportMeta) -> CompiledReport:
    """Render the report of ``entries`` for the campaign ``meta``; same input, same bytes."""
    with collector.paused():  # see mailflow.collector
        return _compile(entries, meta)


def _compile(entries: Sequence[ReportEntry], meta: ReportMeta) -> CompiledReport:
    warnings: list[str] = []
    if not entries:
        warnings.append(
            Notice("no accepted contributions: the report is empty", "report_no_contribution")
        )
    summary_words = count_words(meta.summary)
    if summary_words > meta.word_limit:
        warnings.append(
            Notice(
                f"the association's summary has {summary_words} words; "
                f"the limit is {meta.word_limit}",
                "report_summary_over_limit",
                words=summary_words,
                limit=meta.word_limit,
            )
        )
    view = build_view(entries, meta, warnings)
    subject = " ".join(_render("subject.txt.j2", view).split())
    rows = records(view.items)
    return CompiledReport(
        subject=subject,
        text=_render("report.txt.j2", view),
        html=_render("report.html.j2", view),
        attachments=(
            (DOCX_NAME, DOCX_MIME, build_docx(view)),
            (CSV_NAME, "text/csv", csv_bytes(rows, view.meta.csv_delimiter)),
            (JSON_NAME, "application/json", json_bytes(view, rows)),
        ),
        warnings=tuple(warnings),
    )
