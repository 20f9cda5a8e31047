"""The ``mailflow`` command line: thin Click commands over the core.

Each command parses its options, calls one function of the core with the `App` from the Click
context, and prints the result (JSON with ``--json``). A `MailflowError` becomes ``Error: …`` on
stderr and exit status 1; usage errors exit 2 (Click's own). No business rule lives here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from mailflow import config as config_module
from mailflow.app import App
from mailflow.errors import MailflowError

F = TypeVar("F", bound=Callable[..., Any])


def _app(ctx: click.Context) -> App:
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
