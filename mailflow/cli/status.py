"""``mailflow status``: the campaign at a glance."""

from __future__ import annotations

from typing import Any

import click

from mailflow.cli.common import CONTEXT_SETTINGS, echo_json, get_app, json_option


@click.command(context_settings=CONTEXT_SETTINGS)
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """The campaign at a glance."""
    data = get_app(ctx).status()
    if as_json:
        echo_json(data)
        return
    print_status(data)


def print_status(data: dict[str, Any]) -> None:
    from rich.console import Console  # deferred: rich's tables load only to print one
    from rich.table import Table

    console = Console(highlight=False)
    c = data["campaign"]
    days = c["seconds_to_deadline"] / 86400
    when = f"{days:.1f} days left" if days >= 0 else f"closed {-days:.1f} days ago"
    console.print(f"[bold]{c['name']}[/bold] — {c['association']}")
    console.print(
        f"deadline {c['deadline']} ({when}); report to {c['recipient']}; "
        f"limit {c['word_limit']} words"
    )
    table = Table(show_header=True, header_style="bold")
    table.add_column("")
    table.add_column("counts")
    for section in ("messages", "submissions", "outbox"):
        table.add_row(section, ", ".join(f"{k} {v}" for k, v in data[section].items()))
    report = data["report"]
    table.add_row("report", report["state"] or "not compiled")
    changed = report.get("changed_since_sent", 0)
    if changed:
        table.add_row(
            "to do",
            f"{changed} contribution{'s' if changed != 1 else ''} changed since the report was "
            "sent — `mailflow compile`, then `mailflow send-report --resend` sends an update",
        )
    svc = data["service"]
    table.add_row("last poll", f"{svc['last_poll'] or 'never'}  {svc['last_poll_summary'] or ''}")
    if svc["last_error"]:
        table.add_row("last error", f"{svc['last_error_at']}  {svc['last_error']}")
    if data.get("outbox_last_failure"):
        f = data["outbox_last_failure"]
        table.add_row("last failed mail", f"{f['recipient']}: {f['error']}")
    for note in data.get("member_notes", []):
        table.add_row("member note", f"{note['at']}  {note['from']}: {note['subject']}")
    console.print(table)
    for warning in data.get("warnings", []):
        console.print(f"[yellow]warning:[/yellow] {warning}")
