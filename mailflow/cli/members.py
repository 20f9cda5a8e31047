"""``mailflow members …``: the member roster."""

from __future__ import annotations

from pathlib import Path

import click

from mailflow.cli.common import CONTEXT_SETTINGS, echo_json, get_app, json_option, who
from mailflow.untrusted import shown_name


@click.group(context_settings=CONTEXT_SETTINGS)
def members() -> None:
    """The member roster."""


@members.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def members_import(ctx: click.Context, file: Path) -> None:
    """Add or update members from FILE.csv (email,name,organisation,country,language)."""
    result = get_app(ctx).import_members(file, who=who())
    click.echo(f"{result.added} added, {result.updated} updated")
    if result.unanswerable:
        languages = sorted({language for _, language in result.unanswerable})
        named = ", ".join(address for address, _ in result.unanswerable[:5])
        more = f" and {len(result.unanswerable) - 5} more" if len(result.unanswerable) > 5 else ""
        click.echo(
            f"Warning: mailflow cannot write in {', '.join(languages)}; "
            f"{len(result.unanswerable)} member(s) will get English: {named}{more}",
            err=True,
        )


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
    from mailflow.members import normalise_address  # deferred: keeps --help light

    addresses = [normalise_address(e) for e in email]
    if not all(addresses):
        raise click.BadParameter("not a mail address", param_hint="EMAIL")
    created = get_app(ctx).add_member(
        addresses,
        name=name,
        organisation=organisation,
        country=country,
        language=language.lower(),
        who=who(),
    )
    click.echo(("added " if created else "updated ") + ", ".join(addresses))


@members.command("deactivate")
@click.argument("email")
@click.pass_context
def members_deactivate(ctx: click.Context, email: str) -> None:
    """Stop sending calls and reminders to a member."""
    name = get_app(ctx).deactivate_member(email, who=who())
    click.echo(f"deactivated {name}")


@members.command("list")
@json_option
@click.pass_context
def members_list(ctx: click.Context, as_json: bool) -> None:
    """List members."""
    rows = get_app(ctx).members()
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        flags = "" if row["active"] else " (inactive)"
        if row["undeliverable"]:
            flags += " undeliverable: " + ", ".join(row["undeliverable"])
        click.echo(
            f"{', '.join(row['addresses'])}\t{shown_name(row['name'])}\t"
            f"{shown_name(row['organisation'])}\t{shown_name(row['country'])}\t"
            f"{row['language']}{flags}"
        )
    if not rows:
        click.echo("no members yet: mailflow members import FILE.csv")
