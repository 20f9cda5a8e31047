"""``mailflow call``, ``remind``, ``compile`` and ``send-report``: the campaign's mailings."""

from __future__ import annotations

from pathlib import Path

import click

from mailflow.cli.common import CONTEXT_SETTINGS, delivery_line, get_app


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
@click.pass_context
def compile_command(ctx: click.Context, outdir: Path) -> None:
    """Render the report from accepted submissions into a folder."""
    result = get_app(ctx).compile_report(outdir)
    for path in result.files:
        click.echo(str(path))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@click.command("send-report", context_settings=CONTEXT_SETTINGS)
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@click.option("--resend", is_flag=True, help="Send again although it was sent before.")
@click.pass_context
def send_report(ctx: click.Context, dry_run: bool, resend: bool) -> None:
    """Send the compiled report to the campaign recipient."""
    result = get_app(ctx).send_report(dry_run=dry_run, resend=resend)
    click.echo(result.message)
