"""``mailflow call``, ``remind``, ``compile`` and ``send-report``: the campaign's mailings.

A command that delivers mail prints what it did, then exits 1 with ``Error: N mails not sent: …``
when some of that mail could not be delivered (it stays queued or failed, as `status` shows).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from mailflow.cli.common import (
    CONTEXT_SETTINGS,
    delivery_line,
    echo_json,
    get_app,
    json_option,
    who,
)

if TYPE_CHECKING:
    from mailflow.campaign import Mailing

_FORCE_HELP = "Send although the association is still the example or the deadline has passed."


def _show_mailing(what: str, result: Mailing, as_json: bool) -> None:
    if as_json:
        echo_json(result.as_dict())
    elif result.dry_run:
        for r in result.recipients:
            named = ", ".join(part for part in (r.name, r.organisation) if part)
            click.echo(f"would send to {r.address} ({named or 'no name'}) in {r.language}")
        click.echo(
            f"{what}: {len(result.recipients)} would be queued, {result.skipped} skipped; "
            "nothing sent (dry run)"
        )
    else:
        click.echo(
            f"{what}: {result.queued} queued, {result.skipped} skipped; "
            + delivery_line(result.delivery)
        )
    if result.reason and not as_json:
        click.echo(f"nothing to send: {result.reason}")
    result.delivery.raise_if_not_sent()


@click.command(
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  mailflow call --dry-run     who would get the call, in which language
  mailflow call               send it to every active member (once per campaign)""",
)
@click.option("--again", is_flag=True, help="Send even to members who already got the call.")
@click.option("--dry-run", is_flag=True, help="Show who would get what; send nothing.")
@click.option("--force", is_flag=True, help=_FORCE_HELP)
@json_option
@click.pass_context
def call(ctx: click.Context, again: bool, dry_run: bool, force: bool, as_json: bool) -> None:
    """Send the call for contributions to every active member."""
    result = get_app(ctx).send_call(again=again, dry_run=dry_run, force=force)
    _show_mailing("call", result, as_json)


@click.command(
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  mailflow remind --dry-run
  mailflow remind --days-before 7     (e.g. daily from cron: only in the last week)""",
)
@click.option(
    "--days-before",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Only if the deadline is at most N days away.",
)
@click.option("--dry-run", is_flag=True, help="Show who would get a reminder; send nothing.")
@click.option("--force", is_flag=True, help="Send although the association is still the example.")
@json_option
@click.pass_context
def remind(
    ctx: click.Context, days_before: int | None, dry_run: bool, force: bool, as_json: bool
) -> None:
    """Remind members who have no accepted contribution yet (from any of their addresses)."""
    result = get_app(ctx).send_reminders(days_before=days_before, dry_run=dry_run, force=force)
    _show_mailing("reminders", result, as_json)


@click.command(
    "compile",
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  mailflow compile
  mailflow compile --out report-2025/""",
)
@click.option(
    "--out",
    "outdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("report"),
    show_default=True,
    help="Folder to write the report into.",
)
@click.option(
    "--excel-dialect",
    type=click.Choice(["comma", "semicolon"]),
    default=None,
    help="Separator of contributions.csv (default: [campaign] csv_dialect); "
    "semicolon for spreadsheet programs that expect it.",
)
@json_option
@click.pass_context
def compile_command(
    ctx: click.Context, outdir: Path, excel_dialect: str | None, as_json: bool
) -> None:
    """Render the report from accepted submissions into a folder, with a manifest."""
    delimiter = {"comma": ",", "semicolon": ";"}[excel_dialect] if excel_dialect else None
    result = get_app(ctx).compile_report(outdir, delimiter=delimiter, who=who())
    if as_json:
        echo_json(
            {
                "files": [str(path) for path in result.files],
                "warnings": list(result.warnings),
                "report_id": result.report_id,
                "entries": result.entries,
            }
        )
        return
    for path in result.files:
        click.echo(str(path))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@click.command(
    "send-report",
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  mailflow send-report --dry-run     what would be sent, to whom
  mailflow send-report""",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what would be sent and whether it matches the compiled folder; send nothing.",
)
@click.option("--resend", is_flag=True, help="Send an update of a report already sent.")
@click.option("--allow-empty", is_flag=True, help="Send a report with no contribution.")
@json_option
@click.pass_context
def send_report(
    ctx: click.Context, dry_run: bool, resend: bool, allow_empty: bool, as_json: bool
) -> None:
    """Send the compiled folder, exactly as compiled, to the campaign recipient."""
    result = get_app(ctx).send_report(
        dry_run=dry_run, resend=resend, allow_empty=allow_empty, who=who()
    )
    if as_json:
        echo_json(
            {
                "message": result.message,
                "message_id": result.message_id,
                "delivery": dict(result.delivery),
                "dry_run": dry_run,
            }
        )
        return
    click.echo(result.message)
