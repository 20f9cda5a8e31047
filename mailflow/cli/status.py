"""``mailflow status``: the campaign at a glance, as a to-do list.

First the campaign line (deadline, days left, the report's state and date), then what needs the
coordinator (held submissions with the exact command that decides them, members who have not
answered, member notes, mail stuck or failed with the reason, contributions changed since the
report was sent), then the counts. Coloured on a terminal, plain in a pipe; ``--json`` gives the
same data (design.md §7 keys plus ``todo``).
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click

from mailflow.cli.common import CONTEXT_SETTINGS, echo_json, get_app, json_option


@click.command(
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  mailflow status
  mailflow status --json | jq '.todo.held'""",
)
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """The campaign at a glance: what needs you, then the counts."""
    data = get_app(ctx).status()
    if as_json:
        echo_json(data)
        return
    print_status(data)


def _when(value: str | None) -> str:
    """``2025-09-30T23:59:59+07:00`` -> ``2025-09-30 23:59 +07:00`` (``UTC`` for +00:00)."""
    if not value:
        return "-"
    moment = datetime.fromisoformat(value)
    offset = moment.strftime("%z")
    zone = "UTC" if offset in ("", "+0000") else f"{offset[:3]}:{offset[3:]}"
    return f"{moment:%Y-%m-%d %H:%M} {zone}"


def _campaign_line(data: dict[str, Any]) -> str:
    c = data["campaign"]
    if c["deadline_passed"]:
        left = f"[red]closed {-c['seconds_to_deadline'] // 86400} days ago[/red]"
    elif c["days_left"] == 0:
        left = "[yellow]closes today[/yellow]"
    else:
        left = f"{c['days_left']} days left"
    report = data["report"]
    if report["state"] is None:
        shown = "not compiled"
    elif report["state"] == "draft":
        shown = f"compiled {_when(report.get('compiled_at'))}, not sent"
    elif report["state"] == "acknowledged":
        shown = f"sent {_when(report['sent_at'])}, acknowledged {_when(report['acknowledged_at'])}"
    else:
        shown = f"{report['state']} {_when(report['sent_at'])}"
    return f"deadline {_when(c['deadline'])} — {left}; report: {shown}"


def _name(row: dict[str, Any]) -> str:
    who = row.get("name") or ""
    if row.get("organisation"):
        who = f"{who} ({row['organisation']})" if who else row["organisation"]
    return who


def print_status(data: dict[str, Any]) -> None:
    from rich.console import Console  # deferred: rich loads only to print
    from rich.markup import escape

    # On a terminal rich wraps long lines at word boundaries; a pipe gets each line whole.
    console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
    out = console.print
    c = data["campaign"]
    out(f"[bold]{escape(c['name'])}[/bold] — {escape(c['association'])}")
    out(_campaign_line(data))
    for warning in data.get("warnings", []):
        out(f"[yellow]warning:[/yellow] {escape(warning)}")
    todo = data["todo"]
    sections = 0

    def head(title: str, count: int) -> None:
        nonlocal sections
        sections += 1
        out(f"\n[bold]{title}[/bold] ({count})")

    if todo["held"]:
        head("Held submissions — decide on each", len(todo["held"]))
        for row in todo["held"]:
            who = _name(row) or "unknown sender"
            why = row["why"] or ", ".join(row["issues"])
            out(f"  #{row['id']}  {escape(who)} <{escape(row['member'])}>: {escape(why)}")
            out(f"       [cyan]{row['accept']}[/cyan]   or   [cyan]{row['reject']}[/cyan]")
    if todo["mail_problems"]:
        head("Mail not delivered", len(todo["mail_problems"]))
        for row in todo["mail_problems"]:
            colour = "red" if row["state"] in ("failed", "bounced") else "yellow"
            out(
                f"  #{row['id']}  {row['kind']} to {escape(row['recipient'])}: "
                f"[{colour}]{row['state']}[/{colour}] — {escape(row['reason'])}"
            )
    changed = data["report"].get("changed_since_sent", 0)
    if changed:
        # The count is of contributions (one per member), as in the JSON and the web console.
        head("Contributions changed since the report was sent", changed)
        for row in todo["changed_since_report"]:
            out(f"  #{row['id']}  {escape(row['member'])}: {escape(row['change'])}")
        if changed > len(todo["changed_since_report"]):
            out(f"  … and {changed - len(todo['changed_since_report'])} more")
        resend = "[cyan]mailflow send-report --resend[/cyan]"
        out(f"  [cyan]mailflow compile[/cyan], then {resend} sends an update")
    if todo["member_notes"]:
        head("Member notes (replies that are not contributions)", len(todo["member_notes"]))
        for row in todo["member_notes"]:
            out(f"  {_when(row['at'])}  {escape(row['from'])}: {escape(row['subject'] or '-')}")
    if todo["not_answered"]:
        head("Members who have not answered", len(todo["not_answered"]))
        for row in todo["not_answered"]:
            out(f"  {escape(_name(row) or ', '.join(row['addresses']))}")
    if data.get("delivery_error"):
        d = data["delivery_error"]
        head("Mail waiting after a delivery error", d["mails"])
        out(f"  [yellow]{escape(d['error'])}[/yellow] (at {_when(d['at'])})")
    for alert in data.get("alerts", []):
        what = "read the mailbox" if alert["kind"] == "fetch" else "send mail"
        head(f"Mail stopped flowing — cannot {what}", 1)
        out(f"  [red]{escape(alert['error'])}[/red] (since {_when(alert['since'])})")
    for state in data.get("signin", []):
        if not state["signed_in"]:
            head("Mailbox not signed in", 1)
            out(f"  {escape(state['account'])}: [cyan]mailflow auth login[/cyan]")
    svc = data["service"]
    if svc["last_error"]:
        head("Last error", 1)
        out(f"  [red]{escape(svc['last_error'])}[/red] (at {_when(svc['last_error_at'])})")
    if not sections:
        out("\n[green]Nothing needs you now.[/green]")

    out("\n[bold]Counts[/bold]")
    for section in ("submissions", "outbox", "messages"):
        counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data[section].items() if v)
        out(f"  {section}: {counts or 'none'}")
    out(f"  last poll: {_when(svc['last_poll'])}  {escape(svc['last_poll_summary'] or '')}")
    out(f"  last mail sent: {_when(svc.get('last_send'))}")
    for state in data.get("signin", []):
        if state["signed_in"]:
            out(
                f"  {escape(state['account'])}: signed in ({state['provider']}), access token "
                f"valid until {_when(state['expires_at'])}"
            )
