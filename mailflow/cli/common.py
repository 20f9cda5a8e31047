"""What every command module shares: the `App` from the Click context, JSON and progress output.

Nothing here imports SQLAlchemy at module level: `mailflow --help` and commands that do not touch
the ledger start without it (`get_app` loads the core on first use).
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from mailflow.errors import MailflowError

if TYPE_CHECKING:
    from mailflow.app import App

#: Help options of every command: ``-h`` as well as ``--help``.
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}

CONFIG_KEY = "mailflow.config"


def get_app(ctx: click.Context) -> App:
    """The `App` of this run, made on first use from the configuration file."""
    # deferred: the core imports SQLAlchemy, which `--help` and `init`'s first lines do without
    from mailflow import config_loader
    from mailflow.app import App

    root = ctx.find_root()
    app = root.obj
    if app is None:
        try:
            settings = config_loader.load(root.meta.get(CONFIG_KEY), required=True)
        except MailflowError as exc:
            raise click.ClickException(str(exc)) from None
        for warning in settings.warnings:
            click.echo(f"warning: {warning}", err=True)
        app = root.obj = App(settings)
        root.call_on_close(app.close)
    assert isinstance(app, App)
    return app


def who() -> str:
    """Who decides at the command line, for the decisions trail."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (OSError, KeyError):  # no login name in this environment
        return "command line"


def json_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--json``: print the result as JSON instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")(f)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal; nothing in a pipe."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress  # only on a terminal

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def delivery_line(counts: dict[str, int]) -> str:
    """``outbox: 3 sent, 1 retry`` (or ``nothing due``)."""
    return "outbox: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing due")


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


#: Colours of states in lists on a terminal (rich style names); pipes get plain text.
STATE_STYLES = {
    "accepted": "green",
    "sent": "green",
    "acknowledged": "green",
    "needs_revision": "yellow",
    "queued": "yellow",
    "sending": "yellow",
    "held": "magenta",
    "rejected": "red",
    "failed": "red",
    "bounced": "red",
    "superseded": "dim",
    "inactive": "dim",
}


def print_table(
    headers: list[str], rows: list[list[str]], *, state_column: int | None = None
) -> None:
    """A list with a header row: aligned and coloured by state on a terminal, tab-separated in a
    pipe (one line per row, for grep and cut)."""
    if not stdout_is_terminal():
        for line in [headers, *rows]:
            click.echo("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in line))
        return
    from rich import box  # deferred: only on a terminal
    from rich.console import Console
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        style = (
            STATE_STYLES.get(row[state_column].split(";", 1)[0], "")
            if state_column is not None
            else ""
        )
        cells = list(row)
        if style and state_column is not None:
            cells[state_column] = f"[{style}]{cells[state_column]}[/{style}]"
        table.add_row(*cells)
    Console(highlight=False).print(table)
