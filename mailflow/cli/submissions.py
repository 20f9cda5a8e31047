"""``mailflow submissions …``, ``review``, ``export`` and ``reprocess``: the contributions."""

from __future__ import annotations

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

#: The statuses ``--status`` accepts (validated, and completed by the shell).
STATUSES = ("accepted", "needs_revision", "held", "rejected", "superseded")


@click.group(context_settings=CONTEXT_SETTINGS)
def submissions() -> None:
    """Contributions in the ledger."""


@submissions.command(
    "list",
    epilog="""\b
Examples:
  mailflow submissions list
  mailflow submissions list --status held
  mailflow submissions list --all --json""",
)
@click.option(
    "--status",
    "status_filter",
    type=click.Choice(STATUSES),
    help="Only submissions in this status.",
)
@click.option("--all", "history", is_flag=True, help="Include superseded versions.")
@json_option
@click.pass_context
def submissions_list(
    ctx: click.Context, status_filter: str | None, history: bool, as_json: bool
) -> None:
    """The ledger, newest version per member (--all for history)."""
    from mailflow.views import issue_words  # deferred: views loads the ledger's models

    rows = get_app(ctx).submissions(
        status=status_filter, history=history or status_filter == "superseded"
    )
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(
            f"no {status_filter.replace('_', ' ')} submissions"
            if status_filter
            else "no submissions"
        )
        return
    print_table(
        [
            "id",
            "status",
            "version",
            "name",
            "organisation",
            "address",
            "action lines",
            "words",
            "issues",
        ],
        [
            [
                str(row["id"]),
                row["status"],
                f"v{row['version']}",
                shown_name(row["member_name"]) or "-",
                shown_name(row["organisation"]) or "-",
                shown_name(row["member"]),
                " ".join(row["action_lines"]) or "-",
                str(row["word_count"]),
                ", ".join(issue_words(i["code"]) for i in row["issues"]) or "-",
            ]
            for row in rows
        ],
        state_column=1,
    )


@submissions.command(
    "show",
    epilog="""\b
Examples:
  mailflow submissions show 7
  mailflow submissions show 7 --json""",
)
@click.argument("submission_id", type=int)
@json_option
@click.pass_context
def submissions_show(ctx: click.Context, submission_id: int, as_json: bool) -> None:
    """One submission with its text, issues, review and mail history."""
    data = get_app(ctx).submission(submission_id)
    if as_json:
        echo_json(data)
        return
    author = ", ".join(
        shown_name(part) for part in (data["member_name"], data["organisation"]) if part
    )
    click.echo(
        f"submission {data['id']} (version {data['version']}) from {shown_name(data['member'])}"
        + (f" ({author})" if author else "")
    )
    click.echo(
        f"status: {data['status']}; action lines: {', '.join(data['action_lines']) or '-'}; "
        f"{data['word_count']} words; language {data['language'] or '-'}"
    )
    if not data.get("decisions") and (data.get("reviewed_at") or data.get("review_note")):
        by = f" by {data['reviewed_by']}" if data.get("reviewed_by") else ""
        note = f": {data['review_note']}" if data.get("review_note") else ""
        click.echo(f"review: {data['status']}{by} at {data.get('reviewed_at') or '-'}{note}")
    for issue in data["issues"]:
        click.echo(f"  [{issue['severity']}] {issue['code']}: {issue['message']}")
    for link in data["links"]:
        click.echo(f"  link: {link}")
    click.echo("")
    click.echo(data["text"])
    click.echo("")
    click.echo(f"text from: {data['source']}")
    for kind, title in (("edit", "coordinator's edit"), ("translation", "English version")):
        text = data["coordinator"][kind]
        if text is not None:
            click.echo(f"{title} (the text IFLA gets; {text['at']}, version {text['versions']}):")
            click.echo(text["text"])
            click.echo("")
    for mail in data["mail"]:
        if mail.get("note"):
            click.echo(f"  out {mail['kind']} {mail['note']} {mail['at']}")
            continue
        extra = f" {mail['kind']} {mail['state']}" if mail["direction"] == "out" else ""
        if mail["kind"] == "member_note":
            extra = " member note"
        click.echo(f"  {mail['direction']}{extra} {mail['message_id']} {mail['at']}")
        if mail.get("text"):
            click.echo(f"    “{' '.join(mail['text'].split())[:200]}”")
    for decision in data["decisions"]:
        note = f": {decision['note']}" if decision["note"] else ""
        click.echo(f"  decided {decision['action']} by {decision['who']} at {decision['at']}{note}")


@click.command(
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  mailflow review 7 --accept --note "checked with the library by phone"
  mailflow review 7 --reject --note "not a contribution"
  mailflow review 7 --accept --member hoa@thuvien.vn   (sent from an address not on the roster)""",
)
@click.argument("submission_id", type=int)
@click.option("--accept", "decision", flag_value="accept", help="Accept the held submission.")
@click.option("--reject", "decision", flag_value="reject", help="Reject it.")
@click.option("--note", default="", help="Why; kept in the ledger and shown by `show`.")
@click.option(
    "--member",
    metavar="ADDRESS",
    help="Attach the submission to the member with this address (report: their organisation).",
)
@json_option
@click.pass_context
def review(
    ctx: click.Context,
    submission_id: int,
    decision: str | None,
    note: str,
    member: str | None,
    as_json: bool,
) -> None:
    """Decide on a held submission (an accept sends the confirmation)."""
    if decision is None:
        raise click.UsageError("give --accept or --reject")
    status, delivery = get_app(ctx).review(
        submission_id, accept=decision == "accept", note=note, who=who(), member=member
    )
    if as_json:
        echo_json({"id": submission_id, "status": status, "confirmation": dict(delivery)})
    else:
        sent = ", ".join(f"{n} {s}" for s, n in delivery.items())
        click.echo(
            f"submission {submission_id}: {status}" + (f"; confirmation {sent}" if sent else "")
        )
    delivery.raise_if_not_sent()


@click.command(
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  mailflow export > submissions.csv
  mailflow export --format json""",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="CSV for a spreadsheet, JSON for a program.",
)
@click.pass_context
def export(ctx: click.Context, fmt: str) -> None:
    """The submissions as data."""
    click.echo(get_app(ctx).export(fmt), nl=False)


@click.command(
    context_settings=CONTEXT_SETTINGS,
    epilog="""\b
Examples:
  mailflow reprocess 7
  mailflow reprocess --all     (after upgrading mailflow)""",
)
@click.argument("submission_id", type=int, required=False)
@click.option("--all", "everything", is_flag=True, help="Every submission.")
@json_option
@click.pass_context
def reprocess(
    ctx: click.Context, submission_id: int | None, everything: bool, as_json: bool
) -> None:
    """Re-run parsing and validation from the stored raw mail (after an upgrade)."""
    if (submission_id is None) == (not everything):
        raise click.UsageError("give a submission ID or --all")
    seen, changed = get_app(ctx).reprocess(submission_id)
    if as_json:
        echo_json({"reprocessed": seen, "changed": changed})
        return
    click.echo(f"reprocessed {seen} submission(s); {changed} changed")


def _coordinator_text(ctx: click.Context, submission_id: int, kind: str, file: str | None) -> None:
    app = get_app(ctx)
    if file is not None:
        with click.open_file(file, encoding="utf-8") as stream:
            text = stream.read()
    else:
        edited = click.edit(app.coordinator_draft(submission_id, kind), extension=".txt")
        if edited is None:
            raise click.ClickException("the editor was closed without saving; nothing was kept")
        text = edited
    versions = app.set_coordinator_text(submission_id, kind, text, who=who())
    what = "edit" if kind == "edit" else "English version"
    click.echo(
        f"submission {submission_id}: the coordinator's {what} is kept (version {versions}); "
        "the member's text stays in the ledger. Run `mailflow compile` to see it in the report."
    )


_FILE = click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Read the text from this file (- for standard input) instead of opening $EDITOR.",
)


@submissions.command("edit")
@click.argument("submission_id", type=int)
@_FILE
@click.pass_context
def submissions_edit(ctx: click.Context, submission_id: int, file: str | None) -> None:
    """Edit the text that goes to IFLA for a submission ($EDITOR or --file); the original stays."""
    _coordinator_text(ctx, submission_id, "edit", file)


@submissions.command("translate")
@click.argument("submission_id", type=int)
@_FILE
@click.pass_context
def submissions_translate(ctx: click.Context, submission_id: int, file: str | None) -> None:
    """Give a submission an English version ($EDITOR or --file), shown first in the report."""
    _coordinator_text(ctx, submission_id, "translation", file)
