"""``mailflow members …``: the member roster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from mailflow.cli.common import (
    CONTEXT_SETTINGS,
    echo_json,
    get_app,
    json_option,
    print_table,
    who,
)
from mailflow.untrusted import shown_name


@click.group(context_settings=CONTEXT_SETTINGS)
def members() -> None:
    """The member roster."""


@members.command(
    "import",
    epilog="""\b
Examples:
  mailflow members import members.csv --dry-run
  mailflow members import members.csv

The file may be separated by commas, semicolons or tabs (as spreadsheets save it),
UTF-8 or Windows-1252; an "aliases" column gives further addresses of a member.""",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what the import would change; change nothing.")
@json_option
@click.pass_context
def members_import(ctx: click.Context, file: Path, dry_run: bool, as_json: bool) -> None:
    """Add or update members from FILE.csv (email,name,organisation,country,language)."""
    result = get_app(ctx).import_members(file, dry_run=dry_run, who=who())
    if as_json:
        echo_json(result.as_dict())
        return
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.unanswerable:
        languages = sorted({language for _, language in result.unanswerable})
        named = ", ".join(address for address, _ in result.unanswerable[:5])
        more = f" and {len(result.unanswerable) - 5} more" if len(result.unanswerable) > 5 else ""
        click.echo(
            f"warning: mailflow cannot write in {', '.join(languages)}; "
            f"{len(result.unanswerable)} member(s) will get English: {named}{more}",
            err=True,
        )
    if dry_run:
        _echo_dry_run(result.changes)
    verb = "would be " if dry_run else ""
    click.echo(
        f"{result.added} {verb}added, {result.updated} {verb}updated, "
        f"{result.unchanged} unchanged" + ("; nothing changed (dry run)" if dry_run else "")
    )
    for name in result.reactivated:
        click.echo(f"{'would make' if dry_run else 'made'} {name} active again")
    if result.relinked:
        ids = ", ".join(str(i) for i in result.relinked)
        click.echo(f"held submissions {'to link' if dry_run else 'linked'} to their member: {ids}")


def _echo_dry_run(changes: tuple[dict[str, Any], ...]) -> None:
    """What an import would change, row by row, and the addresses it would keep."""
    kept_any = False
    for change in changes:
        if change["action"] != "unchanged":
            again = " (made active again)" if change["reactivated"] else ""
            new = change["new_addresses"]
            plural = "es" if len(new) > 1 else ""
            added = f"; new address{plural}: {', '.join(new)}" if new else ""
            click.echo(
                f"would {change['action']} line {change['line']}: {change['name']} "
                f"<{', '.join(change['addresses'])}>{again}{added}"
            )
        if change["kept"]:
            kept_any = True
            click.echo(
                f"line {change['line']}: {change['name']} keeps {', '.join(change['kept'])}, "
                "which the file does not list"
            )
    if kept_any:
        click.echo(
            "an import never removes an address; remove one with "
            "`mailflow members alias ADDRESS --remove OTHER`"
        )


@members.command(
    "add",
    epilog="""\b
Examples:
  mailflow members add hoa@thuvien.vn --name "Nguyễn Thị Hoa" --organisation "Thư viện Hà Nội"
  mailflow members add hoa@thuvien.vn --alias hoa.nguyen@gmail.com""",
)
@click.argument("email", nargs=-1, required=True)
@click.option(
    "--alias",
    "aliases",
    multiple=True,
    metavar="OTHER",
    help="A further address of the same member (repeat for more).",
)
@click.option("--name", default="", help="The member's name (a person or the library).")
@click.option("--organisation", default="", help="The library or association.")
@click.option("--country", default="", help="The member's country.")
@click.option("--language", default="", help="Preferred language of mail: en, vi, fr, es, ar…")
@json_option
@click.pass_context
def members_add(
    ctx: click.Context,
    email: tuple[str, ...],
    aliases: tuple[str, ...],
    name: str,
    organisation: str,
    country: str,
    language: str,
    as_json: bool,
) -> None:
    """Add a member, or more addresses for one; held mail from them is linked to the member."""
    done = get_app(ctx).add_member(
        email,
        aliases=aliases,
        name=name,
        organisation=organisation,
        country=country,
        language=language,
        who=who(),
    )
    addresses = [a.strip().lower() for a in (*email, *aliases)]
    if as_json:
        echo_json(
            {
                "created": done.created,
                "addresses": addresses,
                "relinked_submissions": list(done.relinked),
            }
        )
        return
    click.echo(("added " if done.created else "updated ") + ", ".join(addresses))
    for sub_id in done.relinked:
        click.echo(
            f"submission {sub_id} is now linked to this member; decide on it with "
            f"`mailflow review {sub_id} --accept` or `--reject`"
        )


@members.command(
    "alias",
    epilog="""\b
Examples:
  mailflow members alias hoa@thuvien.vn --add hoa.nguyen@gmail.com
  mailflow members alias hoa@thuvien.vn --remove hoa@old-library.vn

A removed address's past submissions stay the member's; mail from it later is
held as a non-member's. Removing the primary (first) address makes the next one
primary; the last address cannot be removed (deactivate the member instead).""",
)
@click.argument("address")
@click.option(
    "--add",
    "to_add",
    multiple=True,
    metavar="OTHER",
    help="Give the member this further address (repeat for more).",
)
@click.option(
    "--remove",
    "to_remove",
    multiple=True,
    metavar="OTHER",
    help="Take this address from the member (repeat for more).",
)
@json_option
@click.pass_context
def members_alias(
    ctx: click.Context,
    address: str,
    to_add: tuple[str, ...],
    to_remove: tuple[str, ...],
    as_json: bool,
) -> None:
    """Add or remove further addresses of the member who has ADDRESS."""
    if bool(to_add) == bool(to_remove):
        raise click.UsageError("give --add OTHER or --remove OTHER (one of them)", ctx)
    app = get_app(ctx)
    if to_add:
        done = app.add_aliases(address, to_add, who=who())
    else:
        done = app.remove_aliases(address, to_remove, who=who())
    if as_json:
        echo_json(done.as_dict())
        return
    changed = ", ".join(done.changed)
    if to_add:
        if done.changed:
            click.echo(f"added {changed} to {shown_name(done.member)}")
        if done.unchanged:
            click.echo(f"{shown_name(done.member)} already has {', '.join(done.unchanged)}")
    else:
        it = "them" if len(done.changed) > 1 else "it"
        click.echo(f"removed {changed} from {shown_name(done.member)}")
        click.echo(
            f"submissions sent from {it} stay with the member; new mail from {it} will be held "
            "as a non-member's"
        )
    if done.new_primary:
        click.echo(f"{done.primary} is now the primary address: calls and reminders go to it")
    click.echo(f"addresses: {', '.join(done.addresses)}")
    for sub_id in done.relinked:
        click.echo(
            f"submission {sub_id} is now linked to this member; decide on it with "
            f"`mailflow review {sub_id} --accept` or `--reject`"
        )


@members.command(
    "show",
    epilog="""\b
Examples:
  mailflow members show hoa@thuvien.vn
  mailflow members show hoa.nguyen@gmail.com --json""",
)
@click.argument("address")
@json_option
@click.pass_context
def members_show(ctx: click.Context, address: str, as_json: bool) -> None:
    """One member (by any of their addresses): addresses, details and submissions."""
    member = get_app(ctx).member(address)
    if as_json:
        echo_json(member)
        return
    undeliverable = set(member["undeliverable"])
    rows = [
        ("name", shown_name(member["name"]) or "-"),
        ("organisation", shown_name(member["organisation"]) or "-"),
        ("country", shown_name(member["country"]) or "-"),
        ("language", member["language"] or "-"),
        ("state", "active" if member["active"] else "inactive"),
        (
            "address",
            member["email"] + (" (undeliverable)" if member["email"] in undeliverable else ""),
        ),
        (
            "aliases",
            ", ".join(
                a + (" (undeliverable)" if a in undeliverable else "") for a in member["aliases"]
            )
            or "-",
        ),
    ]
    for label, value in rows:
        click.echo(f"{label + ':':<14}{value}")
    subs = member["submissions"]
    click.echo("submissions:" + ("  -" if not subs else ""))
    for sub in subs:
        click.echo(f"  {sub['id']}  {sub['status']}  v{sub['version']}  from {sub['from']}")


@members.command(
    "deactivate",
    epilog="""\b
Example:
  mailflow members deactivate hoa@thuvien.vn""",
)
@click.argument("email")
@json_option
@click.pass_context
def members_deactivate(ctx: click.Context, email: str, as_json: bool) -> None:
    """Stop sending calls and reminders to a member."""
    name = get_app(ctx).deactivate_member(email, who=who())
    if as_json:
        echo_json({"address": email.strip().lower(), "name": name, "active": False})
        return
    click.echo(f"deactivated {name}")


@members.command(
    "list",
    epilog="""\b
Examples:
  mailflow members list
  mailflow members list --json""",
)
@json_option
@click.pass_context
def members_list(ctx: click.Context, as_json: bool) -> None:
    """List members: primary address, aliases, name, organisation, country, language, state."""
    rows = get_app(ctx).members()
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no members yet: mailflow members import FILE.csv")
        return
    table = []
    for row in rows:
        state = "active" if row["active"] else "inactive"
        if row["undeliverable"]:
            state += "; undeliverable: " + ", ".join(row["undeliverable"])
        table.append(
            [
                row["email"],
                ", ".join(row["aliases"]),
                shown_name(row["name"]),
                shown_name(row["organisation"]),
                shown_name(row["country"]),
                row["language"] or "-",
                state,
            ]
        )
    print_table(
        ["address", "aliases", "name", "organisation", "country", "language", "state"],
        table,
        state_column=6,
    )
