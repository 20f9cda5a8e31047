"""``mailflow call``, ``remind``, ``compile`` and ``send-report``: the campaign's mailings."""

from __future__ import annotations

from pathlib import Path

import click

from mailflow.cli.common import CONTEXT_SETTINGS, delivery_line, get_app, who


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option("--again", is_flag=True, help="Send even to members who already got the call.")
@click.pass_context
def call(ctx: click.Context, again: bool) -> None:
    """Send the call for contributions to every active member."""
    result = get_app(ctx).send_call(again=again)
    click.echo(
        f"call: {result.queued} queued, {result.skipped} skipped; " + delivery_line(result.delivery)
    )


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--days-before",
    type=click.IntRange(min=0),
    default=None,
    help="Only if the deadline is at most this many days away.",
)
@click.pass_context
def remind(ctx: click.Context, days_before: int | None) -> None:
    """Remind members who have no accepted contribution yet."""
    result = get_app(ctx).send_reminders(days_before=days_before)
    click.echo(
        f"reminders: {result.queued} queued, {result.skipped} skipped; "
        + delivery_line(result.delivery)
    )


@click.command("compile", context_settings=CONTEXT_SETTINGS)
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
@click.pass_context
def compile_command(ctx: click.Context, outdir: Path, excel_dialect: str | None) -> None:
    """Render the report from accepted submissions into a folder, with a manifest."""
    delimiter = {"comma": ",", "semicolon": ";"}[excel_dialect] if excel_dialect else None
    result = get_app(ctx).compile_report(outdir, delimiter=delimiter, who=who())
    for path in result.files:
        click.echo(str(path))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@click.command("send-report", context_settings=CONTEXT_SETTINGS)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what would be sent and whether it matches the compiled folder; send nothing.",
)
@click.option("--resend", is_flag=True, help="Send an update of a report already sent.")
@click.option("--allow-empty", is_flag=True, help="Send a report with no contribution.")
@click.pass_context
def send_report(ctx: click.Context, dry_run: bool, resend: bool, allow_empty: bool) -> None:
    """Send the compiled folder, exactly as compiled, to the campaign recipient."""
    result = get_app(ctx).send_report(
        dry_run=dry_run, resend=resend, allow_empty=allow_empty, who=who()
    )
    click.echo(result.message)
