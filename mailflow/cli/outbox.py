"""``mailflow outbox …``: mail waiting to be sent, and what was sent."""

from __future__ import annotations

import click

from mailflow.cli.common import (
    CONTEXT_SETTINGS,
    delivery_line,
    echo_json,
    get_app,
    json_option,
    who,
)


@click.group("outbox", context_settings=CONTEXT_SETTINGS)
def outbox() -> None:
    """Mail waiting to be sent, and what was sent."""


@outbox.command("list")
@click.option("--state", help="Only this state (queued, sending, sent, failed, bounced).")
@json_option
@click.pass_context
def outbox_list(ctx: click.Context, state: str | None, as_json: bool) -> None:
    """List the outbox."""
    rows = get_app(ctx).outbox(state=state)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        error = f"  {row['smtp_code'] or ''} {row['last_error']}" if row["last_error"] else ""
        click.echo(
            f"{row['id']:>5}  {row['kind']:<12} {row['state']:<8} {row['attempts']}x  "
            f"{row['recipient']}{error}"
        )
    if not rows:
        click.echo("outbox empty")


@outbox.command("flush")
@json_option
@click.pass_context
def outbox_flush(ctx: click.Context, as_json: bool) -> None:
    """Deliver queued mail now, whatever its retry schedule says."""
    counts = get_app(ctx).flush_outbox()
    if as_json:
        echo_json(counts)
    else:
        click.echo(delivery_line(counts))


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Every failed mail.")
@click.pass_context
def outbox_retry(ctx: click.Context, ids: tuple[int, ...], all_failed: bool) -> None:
    """Put failed mail back in the queue (by id, or --all-failed); the next flush sends it."""
    if bool(ids) == all_failed:
        raise click.UsageError("give the ids of failed mails, or --all-failed")
    retried = get_app(ctx).retry_outbox(ids, all_failed=all_failed, who=who())
    if retried:
        click.echo(f"queued again: {', '.join(str(i) for i in retried)}")
    else:
        click.echo("no failed mail")
