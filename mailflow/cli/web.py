"""``mailflow web`` and ``mailflow web user …``: the coordinators' web console and its accounts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from mailflow.cli.common import CONTEXT_SETTINGS, get_app

if TYPE_CHECKING:
    from mailflow.app import App

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@click.group(invoke_without_command=True, context_settings=CONTEXT_SETTINGS)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8025,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@click.option(
    "--proxy",
    metavar="ADDRESS",
    help="Address of the reverse proxy in front, which speaks TLS: its X-Forwarded-For and "
    "X-Forwarded-Proto headers are trusted and the session cookie is marked Secure.",
)
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("report"),
    show_default=True,
    help="Folder the console compiles the report into (as compile --out).",
)
@click.pass_context
def web(ctx: click.Context, host: str, port: int, proxy: str | None, report_dir: Path) -> None:
    """Run the coordinators' web console until interrupted (accounts: web user add)."""
    if ctx.invoked_subcommand is None:
        serve_console(get_app(ctx), host, port, proxy, report_dir)


def serve_console(app: App, host: str, port: int, proxy: str | None, report_dir: Path) -> None:
    """Say where the console is, then serve it until Ctrl-C."""
    from mailflow import web as console  # deferred: Flask and waitress, only to serve

    if not app.web_users():
        click.echo("no console account yet: mailflow web user add NAME", err=True)
    if host not in LOOPBACK and proxy is None:
        click.echo(
            f"warning: serving plain HTTP on {host}; put a reverse proxy with TLS in front "
            "(see the README) and pass --proxy",
            err=True,
        )
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"console: http://{shown}:{port}/  (Ctrl-C stops it)")
    console.serve(app, host, port, proxy=proxy, report_dir=report_dir)


@web.group("user", context_settings=CONTEXT_SETTINGS)
def web_user() -> None:
    """Accounts of the web console."""


@web_user.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["coordinator", "viewer"]),
    default="coordinator",
    show_default=True,
    help="A viewer reads and decides nothing.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (scripts)."
)
@click.pass_context
def web_user_add(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Add a console account NAME, or set its password and role; asks for the password."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    created = get_app(ctx).add_web_user(name, password, role)
    click.echo(f"{'added' if created else 'updated'} {name.strip().lower()} ({role})")


@web_user.command("list")
@click.pass_context
def web_user_list(ctx: click.Context) -> None:
    """List the console's accounts."""
    users = get_app(ctx).web_users()
    for user in users:
        locked = f"  locked until {user['locked_until']}" if user["locked_until"] else ""
        last = user["last_login_at"] or "never"
        click.echo(f"{user['name']}\t{user['role']}\tlast login {last}{locked}")
    if not users:
        click.echo("no console account yet: mailflow web user add NAME")
