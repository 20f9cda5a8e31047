"""The ``mailflow`` command line: thin Click commands over the core.

Each command parses its options, calls one function of the core with the `App` from the Click
context, and prints the result (JSON with ``--json``). A `MailflowError` becomes ``Error: …`` on
stderr and exit status 1; usage errors exit 2 (Click's own). No business rule lives here.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from mailflow import logs
from mailflow.errors import MailflowError

if TYPE_CHECKING:
    from mailflow.app import App

F = TypeVar("F", bound=Callable[..., Any])

# Every command imports what it needs inside its body: `mailflow --help` or a command that does
# not touch the ledger then starts without SQLAlchemy, and no command pays for another's modules.


def _app(ctx: click.Context) -> App:
    from mailflow import config as config_module
    from mailflow.app import App

    app = ctx.obj
    if app is None:
        try:
            settings = config_module.load(ctx.meta.get("mailflow.config"))
        except MailflowError as exc:
            raise click.ClickException(str(exc)) from None
        app = ctx.obj = App(settings)
        ctx.call_on_close(app.close)
    assert isinstance(app, App)
    return app


class MailflowGroup(click.Group):
    """A group that turns every MailflowError into a one-line ``Error:`` and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MailflowError as exc:
            raise click.ClickException(str(exc)) from None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run as the ``mailflow`` program, which ends with the command (tests call `main`)."""
        try:
            return super().__call__(*args, **kwargs)
        finally:
            # The process ends now. What is still alive (modules, classes, SQLAlchemy's
            # registries) is left out of the garbage collector's walks at interpreter shutdown,
            # which took 0.1-0.3 s of every command with SQLAlchemy loaded. The ledger is
            # closed by now, and the memory goes back to the system anyway.
            gc.freeze()


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal; nothing in a pipe."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@click.group(cls=MailflowGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="MAILFLOW_CONFIG",
    help="Configuration file (default: ./mailflow.toml).",
)
@click.version_option(package_name="mailflow")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """Collect WSIS contributions by mail, answer members, and send one report to IFLA."""
    ctx.meta["mailflow.config"] = config_path


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Write a commented mailflow.toml if none exists, and create or upgrade the ledger."""
    from mailflow import config as config_module

    path = config_module.config_path(ctx.meta.get("mailflow.config"))
    if path.exists():
        click.echo(f"{path} exists; keeping it")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config_module.DEFAULT_TOML, encoding="utf-8")
        click.echo(f"wrote {path}")
    app = _app(ctx)
    ledger = app.ledger(check_schema=False)
    ledger.upgrade()
    click.echo(f"ledger ready at {ledger.safe_url} (revision {ledger.current_revision()})")


@main.group()
def db() -> None:
    """The ledger's schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply the ledger's migrations."""
    ledger = _app(ctx).ledger(check_schema=False)
    ledger.upgrade()
    click.echo(f"ledger at revision {ledger.current_revision()}")


@main.group()
def members() -> None:
    """The member roster."""


@members.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def members_import(ctx: click.Context, file: Path) -> None:
    """Add or update members from FILE.csv (email,name,organisation,country,language)."""
    from mailflow import members as roster

    with _app(ctx).ledger().transaction() as session:
        result = roster.import_csv(session, file)
    click.echo(f"{result.added} added, {result.updated} updated")


@members.command("add")
@click.argument("email", nargs=-1, required=True)
@click.option("--name", default="")
@click.option("--organisation", default="")
@click.option("--country", default="")
@click.option("--language", default="")
@click.pass_context
def members_add(
    ctx: click.Context,
    email: tuple[str, ...],
    name: str,
    organisation: str,
    country: str,
    language: str,
) -> None:
    """Add a member (or more addresses for one)."""
    from mailflow import members as roster

    addresses = [roster.normalise_address(e) for e in email]
    if not all(addresses):
        raise click.BadParameter("not a mail address", param_hint="EMAIL")
    with _app(ctx).ledger().transaction() as session:
        created = roster.upsert(
            session,
            addresses,
            name=name,
            organisation=organisation,
            country=country,
            language=language.lower(),
        )
    click.echo(("added " if created else "updated ") + ", ".join(addresses))


@members.command("deactivate")
@click.argument("email")
@click.pass_context
def members_deactivate(ctx: click.Context, email: str) -> None:
    """Stop sending calls and reminders to a member."""
    from mailflow import members as roster

    with _app(ctx).ledger().transaction() as session:
        member = roster.deactivate(session, email)
        name = member.name or email
    click.echo(f"deactivated {name}")


@members.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def members_list(ctx: click.Context, as_json: bool) -> None:
    """List members."""
    from mailflow import members as roster

    with _app(ctx).ledger().transaction() as session:
        rows = [roster.as_dict(m) for m in roster.all_members(session)]
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        flags = "" if row["active"] else " (inactive)"
        if row["undeliverable"]:
            flags += " undeliverable: " + ", ".join(row["undeliverable"])  # type: ignore[arg-type]
        click.echo(
            f"{', '.join(row['addresses'])}\t{row['name']}\t{row['organisation']}\t"  # type: ignore[arg-type]
            f"{row['country']}\t{row['language']}{flags}"
        )
    if not rows:
        click.echo("no members yet: mailflow members import FILE.csv")


@main.command()
@click.option("--no-send", is_flag=True, help="Record and queue, but do not deliver the outbox.")
@click.pass_context
def poll(ctx: click.Context, no_send: bool) -> None:
    """One pass: fetch new mail, record, read and judge it, queue and send confirmations."""
    from mailflow import pipeline

    app = _app(ctx)
    ledger = app.ledger()
    try:
        with _progress("polling") as progress:
            summary = pipeline.run_once(app.settings, ledger, send=not no_send, progress=progress)
    except MailflowError as exc:
        pipeline.note_error(ledger, exc)
        raise
    click.echo(summary.line())


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """The campaign at a glance."""
    from mailflow import views

    app = _app(ctx)
    with app.ledger().transaction() as session:
        data = views.status(session, app.settings)
    if as_json:
        _echo_json(data)
        return
    _print_status(data)


def _print_status(data: dict[str, Any]) -> None:
    from rich.console import Console
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
    svc = data["service"]
    table.add_row("last poll", f"{svc['last_poll'] or 'never'}  {svc['last_poll_summary'] or ''}")
    if svc["last_error"]:
        table.add_row("last error", f"{svc['last_error_at']}  {svc['last_error']}")
    if data.get("outbox_last_failure"):
        f = data["outbox_last_failure"]
        table.add_row("last failed mail", f"{f['recipient']}: {f['error']}")
    console.print(table)


@main.group()
def submissions() -> None:
    """Contributions in the ledger."""


@submissions.command("list")
@click.option("--status", "status_filter", help="Only this status (accepted, held, …).")
@click.option("--all", "history", is_flag=True, help="Include superseded versions.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def submissions_list(
    ctx: click.Context, status_filter: str | None, history: bool, as_json: bool
) -> None:
    """The ledger, newest version per member (--all for history)."""
    from mailflow import submissions as subs
    from mailflow.ledger.store import sync_campaign

    app = _app(ctx)
    with app.ledger().transaction() as session:
        campaign = sync_campaign(session, app.settings.campaign)
        rows = [
            subs.as_dict(session, s)
            for s in subs.listing(session, campaign.id, status=status_filter, history=history)
        ]
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        issues = ",".join(i["code"] for i in row["issues"]) or "-"
        click.echo(
            f"{row['id']:>5}  {row['status']:<15} v{row['version']}  {row['member']:<40} "
            f"{','.join(row['action_lines']) or '-':<12} {row['word_count']:>4}w  {issues}"
        )
    if not rows:
        click.echo("no submissions")


@submissions.command("show")
@click.argument("submission_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def submissions_show(ctx: click.Context, submission_id: int, as_json: bool) -> None:
    """One submission with its text, issues and mail history."""
    from mailflow import submissions as subs

    with _app(ctx).ledger().transaction() as session:
        data = subs.as_dict(session, subs.get(session, submission_id), full=True)
    if as_json:
        _echo_json(data)
        return
    click.echo(f"submission {data['id']} (version {data['version']}) from {data['member']}")
    click.echo(
        f"status: {data['status']}; action lines: {', '.join(data['action_lines']) or '-'}; "
        f"{data['word_count']} words; language {data['language'] or '-'}"
    )
    for issue in data["issues"]:
        click.echo(f"  [{issue['severity']}] {issue['code']}: {issue['message']}")
    for link in data["links"]:
        click.echo(f"  link: {link}")
    click.echo("")
    click.echo(data["text"])
    click.echo("")
    for mail in data["mail"]:
        extra = f" {mail['kind']} {mail['state']}" if mail["direction"] == "out" else ""
        click.echo(f"  {mail['direction']}{extra} {mail['message_id']} {mail['at']}")


@main.command()
@click.argument("submission_id", type=int)
@click.option("--accept", "decision", flag_value="accept", help="Accept the held submission.")
@click.option("--reject", "decision", flag_value="reject", help="Reject it.")
@click.option("--note", default="", help="Why; kept in the ledger.")
@click.pass_context
def review(ctx: click.Context, submission_id: int, decision: str | None, note: str) -> None:
    """Decide on a held submission (an accept sends the confirmation)."""
    from mailflow import campaign

    if decision is None:
        raise click.UsageError("give --accept or --reject")
    app = _app(ctx)
    status, delivery = campaign.review(
        app.settings, app.ledger(), submission_id, accept=decision == "accept", note=note
    )
    sent = ", ".join(f"{n} {s}" for s, n in delivery.items())
    click.echo(f"submission {submission_id}: {status}" + (f"; confirmation {sent}" if sent else ""))


@main.command()
@click.option("--again", is_flag=True, help="Send even to members who already got the call.")
@click.pass_context
def call(ctx: click.Context, again: bool) -> None:
    """Send the call for contributions to every active member."""
    from mailflow import campaign

    app = _app(ctx)
    result = campaign.send_call(app.settings, app.ledger(), again=again)
    click.echo(
        f"call: {result.queued} queued, {result.skipped} skipped; " + _delivery(result.delivery)
    )


@main.command()
@click.option(
    "--days-before",
    type=click.IntRange(min=0),
    default=None,
    help="Only if the deadline is at most this many days away.",
)
@click.pass_context
def remind(ctx: click.Context, days_before: int | None) -> None:
    """Remind members who have no accepted contribution yet."""
    from mailflow import campaign

    app = _app(ctx)
    result = campaign.send_reminders(app.settings, app.ledger(), days_before=days_before)
    click.echo(
        f"reminders: {result.queued} queued, {result.skipped} skipped; "
        + _delivery(result.delivery)
    )


def _delivery(counts: dict[str, int]) -> str:
    return "outbox: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing due")


@main.command("compile")
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
    from mailflow import campaign

    app = _app(ctx)
    result = campaign.compile_report(app.settings, app.ledger(), outdir)
    for path in result.files:
        click.echo(str(path))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@main.command("send-report")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@click.option("--resend", is_flag=True, help="Send again although it was sent before.")
@click.pass_context
def send_report(ctx: click.Context, dry_run: bool, resend: bool) -> None:
    """Send the compiled report to the campaign recipient."""
    from mailflow import campaign

    app = _app(ctx)
    result = campaign.send_report(app.settings, app.ledger(), dry_run=dry_run, resend=resend)
    click.echo(result.message)


@main.group("outbox")
def outbox_group() -> None:
    """Mail waiting to be sent, and what was sent."""


@outbox_group.command("list")
@click.option("--state", help="Only this state (queued, sending, sent, failed, bounced).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def outbox_list(ctx: click.Context, state: str | None, as_json: bool) -> None:
    """List the outbox."""
    from mailflow.answering import outbox

    with _app(ctx).ledger().transaction() as session:
        rows = [outbox.as_dict(m) for m in outbox.all_mail(session, state=state)]
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        error = f"  {row['smtp_code'] or ''} {row['last_error']}" if row["last_error"] else ""
        click.echo(
            f"{row['id']:>5}  {row['kind']:<12} {row['state']:<8} {row['attempts']}x  "
            f"{row['recipient']}{error}"
        )
    if not rows:
        click.echo("outbox empty")


@outbox_group.command("flush")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def outbox_flush(ctx: click.Context, as_json: bool) -> None:
    """Deliver queued mail now, whatever its retry schedule says."""
    from mailflow.answering import outbox

    app = _app(ctx)
    counts = outbox.flush(app.settings, app.ledger(), ignore_schedule=True)
    if as_json:
        _echo_json(counts)
    else:
        click.echo(_delivery(counts))


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.pass_context
def export(ctx: click.Context, fmt: str) -> None:
    """The submissions as data."""
    from mailflow import campaign

    app = _app(ctx)
    click.echo(campaign.export(app.settings, app.ledger(), fmt), nl=False)


@main.command()
@click.argument("submission_id", type=int, required=False)
@click.option("--all", "everything", is_flag=True, help="Every submission.")
@click.pass_context
def reprocess(ctx: click.Context, submission_id: int | None, everything: bool) -> None:
    """Re-run parsing and validation from the stored raw mail (after an upgrade)."""
    from mailflow import campaign

    if (submission_id is None) == (not everything):
        raise click.UsageError("give a submission ID or --all")
    app = _app(ctx)
    seen, changed = campaign.reprocess(app.settings, app.ledger(), submission_id)
    click.echo(f"reprocessed {seen} submission(s); {changed} changed")


@main.command()
@click.option(
    "--log-format",
    type=click.Choice(logs.FORMATS),
    default="text",
    show_default=True,
    help="text for a person, json for a log collector (one object per line).",
)
@click.option(
    "--log-level",
    type=click.Choice(logs.LEVELS, case_sensitive=False),
    default="INFO",
    show_default=True,
    help="The least important level logged.",
)
@click.pass_context
def serve(ctx: click.Context, log_format: str, log_level: str) -> None:
    """Run until SIGTERM/SIGINT: IMAP IDLE (polling as fallback), send the outbox, reconnect."""
    from mailflow import service

    logs.setup(log_format, log_level)
    app = _app(ctx)
    service.serve(app.settings, app.ledger())


@main.command()
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("mailflow-demo"),
    show_default=True,
    help="Workspace to create.",
)
@click.pass_context
def demo(ctx: click.Context, workdir: Path) -> None:
    """Run the whole cycle on embedded defaults: sample Maildir, SQLite, .eml files."""
    from mailflow import demo as demo_module

    for line in demo_module.run(workdir):
        click.echo(line)


if __name__ == "__main__":  # pragma: no cover
    main()
