"""``mailflow auth login|status|logout``: OAuth2 sign-in of the mailbox."""

from __future__ import annotations

from typing import Any

import click

from mailflow.cli.common import CONTEXT_SETTINGS, echo_json, get_app, json_option


@click.group(
    "auth",
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Example:
  mailflow auth login""",
)
def auth() -> None:
    """OAuth2 sign-in of the mailbox (Microsoft 365, Google, other providers)."""


@auth.command(
    "login",
    epilog="""\b
Example:
  mailflow auth login        # then open the address it prints (and enter the code)""",
)
@click.pass_context
def auth_login(ctx: click.Context) -> None:
    """Sign the mailbox in and keep its tokens in the ledger.

    Microsoft and other servers (flow = "device") show an address and a code to enter there,
    from any browser. Google gives no device code for mail: with flow = "installed" (a Gmail
    account, or Workspace without a service account) this shows an address to open in a
    browser on this machine, where Google's answer comes back. Either way it waits until the
    sign-in is done. With an app registration (flow = "app", no person signs in) it fetches a
    token now, which checks the registration and the client secret.
    """
    states = get_app(ctx).auth_login(lambda text: click.echo(text, err=True))
    for line in _lines([s.as_dict() for s in states]):
        click.echo(line)


@auth.command(
    "status",
    epilog="""\b
Examples:
  mailflow auth status
  mailflow auth status --json""",
)
@json_option
@click.pass_context
def auth_status(ctx: click.Context, as_json: bool) -> None:
    """Who is signed in, with which scopes, and when the access token expires."""
    rows = [s.as_dict() for s in get_app(ctx).auth_state()]
    if as_json:
        echo_json(rows)
        return
    for line in _lines(rows) or ["no account signs in with OAuth2 (imap.auth, smtp.auth)"]:
        click.echo(line)


@auth.command(
    "logout",
    epilog="""\b
Example:
  mailflow auth logout""",
)
@click.pass_context
def auth_logout(ctx: click.Context) -> None:
    """Forget the mailbox's tokens (sign in again with `mailflow auth login`)."""
    gone = get_app(ctx).auth_logout()
    click.echo(f"signed out: {', '.join(gone)}" if gone else "no tokens were stored")


def _lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for row in rows:
        head = f"{row['account']}: {row['provider']} ({row['flow']})"
        if not row["signed_in"]:
            lines.append(f"{head}, not signed in: run `mailflow auth login`")
            continue
        lines.append(
            f"{head}, signed in; scopes {' '.join(row['scopes']) or '(none given)'}; access "
            f"token valid until {row['expires_at']}, last refreshed {row['refreshed_at']}"
        )
    return lines
