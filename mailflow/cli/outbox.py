"""``mailflow outbox …``: mail waiting to be sent, and what was sent."""

from __future__ import annotations

import click

from mailflow.cli.common import (
    CONTEXT_SETTINGS,
    delivery_line,
    echo_json,
    get_app,
    json_option,
    print_table,
    who,
)

#: The states ``--status`` accepts (validated, and completed by the shell).
STATES = ("queued", "sending", "sent", "failed", "bounced")


@click.group("outbox", context_settings=CONTEXT_SETTINGS)
def outbox() -> None:
    """Mail waiting to be sent, and what was sent."""


@outbox.command(
    "list",
    epilog="""\b
Examples:
  mailflow outbox list
  mailflow outbox list --status failed""",
)
@click.option("--status", "state", type=click.Choice(STATES), help="Only mail in this state.")
@click.option("--state", "state", type=click.Choice(STATES), hidden=True)
@json_option
@click.pass_context
def outbox_list(ctx: click.Context, state: str | None, as_json: bool) -> None:
    """List the outbox: each mail's kind, state, attempts, recipient and last error."""
    rows = get_app(ctx).outbox(state=state)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(f"no {state} mail" if state else "outbox empty")
        return
    print_table(
        ["id", "kind", "state", "attempts", "recipient", "error"],
        [
            [
                str(row["id"]),
                row["kind"],
                row["state"],
                str(row["attempts"]),
                row["recipient"],
                (f"{row['smtp_code']} " if row["smtp_code"] else "") + row["last_error"]
                if row["last_error"]
                else "-",
            ]
            for row in rows
        ],
        state_column=2,
    )


@outbox.command(
    "flush",
    epilog="""\b
Example:
  mailflow outbox flush""",
)
@json_option
@click.pass_context
def outbox_flush(ctx: click.Context, as_json: bool) -> None:
    """Deliver queued mail now, whatever its retry schedule says."""
    counts = get_app(ctx).flush_outbox()
    if as_json:
        echo_json(dict(counts))
    else:
        click.echo(delivery_line(counts))
    counts.raise_if_not_sent()


@outbox.command(
    "retry",
    epilog="""\b
Examples:
  mailflow outbox retry 12 14
  mailflow outbox retry --all-failed""",
)
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Every failed mail.")
@json_option
@click.pass_context
def outbox_retry(ctx: click.Context, ids: tuple[int, ...], all_failed: bool, as_json: bool) -> None:
    """Put failed mail back in the queue (by id, or --all-failed); the next flush sends it."""
    if bool(ids) == all_failed:
        raise click.UsageError("give the ids of failed mails, or --all-failed")
    retried = get_app(ctx).retry_outbox(ids, all_failed=all_failed, who=who())
    if as_json:
        echo_json({"retried": retried})
    elif retried:
        click.echo(f"queued again: {', '.join(str(i) for i in retried)}")
    else:
        click.echo("no failed mail")
