"""The ``mailflow`` command line: thin Click commands over `mailflow.app.App`.

Each command parses its options, calls one method of the `App` from the Click context, and prints
the result (JSON with ``--json``). A `MailflowError` becomes ``Error: …`` on stderr and exit status
1; usage errors exit 2 (Click's own). No business rule lives here, and no command opens a session.

The commands live by subject: `members`, `submissions` (with ``review``, ``export``,
``reprocess``), `campaign` (``call``, ``remind``, ``compile``, ``send-report``), `outbox`,
`status`, `web` (the console and its accounts); this module holds the group, the error mapping
and the commands about the setup (``init``, ``db``, ``poll``, ``serve``, ``demo``). Every command
imports the core inside its body: `mailflow --help` then starts without SQLAlchemy.
"""

from __future__ import annotations

import faulthandler
import sys
from pathlib import Path
from typing import Any

import click

from mailflow import collector, logs
from mailflow.cli.auth import auth
from mailflow.cli.campaign import call, compile_command, remind, send_report
from mailflow.cli.common import (
    CONFIG_KEY,
    CONTEXT_SETTINGS,
    echo_json,
    get_app,
    json_option,
    progress,
)
from mailflow.cli.members import members
from mailflow.cli.outbox import outbox
from mailflow.cli.status import status
from mailflow.cli.submissions import export, reprocess, review, submissions
from mailflow.cli.web import serve_console, web
from mailflow.errors import MailflowError, UsageError
from mailflow.redact import redact


class MailflowGroup(click.Group):
    """A group that turns every MailflowError into a one-line ``Error:`` and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MailflowError as exc:
            if isinstance(exc, UsageError):
                raise click.UsageError(redact(str(exc)), ctx) from None
            raise click.ClickException(redact(str(exc))) from None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run as the ``mailflow`` program, which ends with the command (tests call `main`)."""
        # A fault Python cannot turn into an exception (SIGBUS when the disk under SQLite's
        # memory-mapped -shm file fails) at least prints what the process was doing.
        if not faulthandler.is_enabled():
            faulthandler.enable()
        try:
            return super().__call__(*args, **kwargs)
        finally:
            # The process ends now. What is still alive (modules, classes, SQLAlchemy's
            # registries) is left out of the garbage collector's walks at interpreter shutdown,
            # which took 0.1-0.3 s of every command with SQLAlchemy loaded. The ledger is
            # closed by now, and the memory goes back to the system anyway.
            collector.skip_at_exit()


@click.group(cls=MailflowGroup, context_settings=CONTEXT_SETTINGS)
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
    ctx.meta[CONFIG_KEY] = config_path


@main.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--authserv-id",
    help="The authserv-id your mail server stamps in Authentication-Results (trusted for "
    "spoofing checks); by default detected from the first mail received, or asked.",
)
@click.pass_context
def init(ctx: click.Context, authserv_id: str | None) -> None:
    """Write a commented mailflow.toml if none exists, create or upgrade the ledger, and set the
    authserv-id trusted for spoofing checks."""
    from mailflow import config_file, config_loader  # deferred: see the module docstring

    path = config_loader.config_path(ctx.meta.get(CONFIG_KEY))
    if path.exists():
        click.echo(f"{path} exists; keeping it")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config_file.DEFAULT_TOML, encoding="utf-8")
        click.echo(f"wrote {path}")
    app = get_app(ctx)
    revision = app.upgrade()
    click.echo(f"ledger ready at {app.ledger_url} (revision {revision})")
    if app.settings.security.trusted_authserv_ids:
        return
    found = authserv_id or app.detect_authserv_id()
    source = "given" if authserv_id else "from the first mail received"
    if found is None and sys.stdin.isatty():
        found = (
            click.prompt(
                "authserv-id your mail server stamps in Authentication-Results (empty: later)",
                default="",
                show_default=False,
            ).strip()
            or None
        )
        source = "as you gave it"
    if found is None:
        click.echo(
            "no trusted authserv-id yet: run `mailflow init` again after the first poll to "
            "detect it, or pass --authserv-id"
        )
        return
    config_file.trust_authserv_id(path, found)
    click.echo(f"trusting authserv-id {found} ({source}) in {path}")


@main.group(context_settings=CONTEXT_SETTINGS)
def db() -> None:
    """The ledger's schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply the ledger's migrations."""
    revision = get_app(ctx).upgrade()
    click.echo(f"ledger at revision {revision}")


@main.command(
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  mailflow poll
  mailflow poll --no-send --json""",
)
@click.option("--no-send", is_flag=True, help="Record and queue, but do not deliver the outbox.")
@json_option
@click.pass_context
def poll(ctx: click.Context, no_send: bool, as_json: bool) -> None:
    """One pass: fetch new mail, record, read and judge it, queue and send confirmations."""
    app = get_app(ctx)
    with progress("polling") as update:
        summary = app.poll(send=not no_send, progress=update)
    if as_json:
        echo_json(summary.as_dict())
    else:
        click.echo(summary.line())
    summary.delivery.raise_if_not_sent()


@main.command(context_settings=CONTEXT_SETTINGS)
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
    from mailflow import service  # deferred: see the module docstring

    logs.setup(log_format, log_level)
    app = get_app(ctx)
    service.serve(app.settings, app.ledger())


@main.command(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("mailflow-demo"),
    show_default=True,
    help="Workspace to create.",
)
@click.option("--web", "open_web", is_flag=True, help="Then open the web console on it.")
@click.option(
    "--port",
    default=8025,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port of the web console (with --web).",
)
@click.pass_context
def demo(ctx: click.Context, workdir: Path, open_web: bool, port: int) -> None:
    """Run the whole cycle on embedded defaults: sample Maildir, SQLite, .eml files."""
    from mailflow import demo as demo_module  # deferred: see the module docstring

    for line in demo_module.run(workdir):
        click.echo(line)
    if not open_web:
        return
    app, name, password = demo_module.console_account(workdir)
    ctx.call_on_close(app.close)
    click.echo(f"console login: {name} / {password}  (a new password at every run)")
    serve_console(app, "127.0.0.1", port, None, workdir / "report")


for _command in (
    members,
    submissions,
    review,
    call,
    remind,
    compile_command,
    send_report,
    outbox,
    status,
    export,
    reprocess,
    web,
    auth,
):
    main.add_command(_command)


#: Examples of the commands whose modules give none of their own (each command's help ends with
#: an example; a test checks every command).
EXAMPLES = {
    "init": "mailflow init\n  mailflow --config /srv/wsis/mailflow.toml init",
    "db": "mailflow db upgrade",
    "db upgrade": "mailflow db upgrade     (after installing a new version of mailflow)",
    "serve": "mailflow serve --log-format json --log-level INFO",
    "demo": "mailflow demo\n  mailflow demo --dir /tmp/try-mailflow",
    "members": "mailflow members import members.csv --dry-run\n  mailflow members list",
    "submissions": "mailflow submissions list --status held\n  mailflow submissions show 7",
    "submissions edit": "mailflow submissions edit 7\n  mailflow submissions edit 7 --file new.txt",
    "submissions translate": "mailflow submissions translate 7 --file english.txt",
    "outbox": "mailflow outbox list --status failed\n  mailflow outbox flush",
    "web": "mailflow web\n  mailflow web --port 8080",
    "web user": "mailflow web user add anna\n  mailflow web user list",
    "web user add": "mailflow web user add anna --role coordinator",
    "web user list": "mailflow web user list",
    "auth": "mailflow auth login\n  mailflow auth status",
}


def _add_examples(group: click.Group, prefix: str = "") -> None:
    for name, command in group.commands.items():
        example = EXAMPLES.get(prefix + name)
        if example and not command.epilog:
            lead = "Examples:" if "\n" in example else "Example:"
            command.epilog = f"\b\n{lead}\n  {example}"
        if isinstance(command, click.Group):
            _add_examples(command, prefix + name + " ")


_add_examples(main)
