"""A consistent CLI: -h and an example everywhere, validated filters, completion, --json, lists."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest
from support import ROOT
from support.cli import Workspace

from mailflow.cli import main


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((prefix + name, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, prefix + name + " "))
    return found


COMMANDS = _commands(main)


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_answers_dash_h_with_an_example(
    ws: Workspace, name: str, command: click.Command
) -> None:
    short = ws.run(*name.split(), "-h")
    long = ws.run(*name.split(), "--help")

    assert (short.exit_code, short.stdout) == (0, long.stdout)
    assert "\n  Example" in short.stdout
    assert "\n    mailflow " in short.stdout.split("\n  Example", 1)[1]


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_option_has_a_help_text(name: str, command: click.Command) -> None:
    assert [
        p.name
        for p in command.params
        if isinstance(p, click.Option) and not p.hidden and not p.help
    ] == []


@pytest.mark.parametrize("args", [["submissions", "list"], ["outbox", "list"]])
def test_a_bad_status_filter_is_a_usage_error(ws: Workspace, args: list[str]) -> None:
    result = ws.run(*args, "--status", "acepted")

    assert result.exit_code == 2
    assert "Invalid value for '--status': 'acepted' is not one of" in result.stderr


def test_status_filter_lists_only_that_status(ws: Workspace) -> None:
    ws.ok("members", "import", "members.csv")
    ws.ok("poll")

    held = ws.json("submissions", "list", "--status", "held")
    sent = ws.json("outbox", "list", "--status", "sent")

    assert [row["id"] for row in held] == [11]
    assert {row["state"] for row in sent} == {"sent"}
    assert ws.ok("submissions", "list", "--status", "rejected") == "no rejected submissions\n"


def test_shell_completion_offers_the_status_values() -> None:
    env = {
        **os.environ,
        "_MAILFLOW_COMPLETE": "bash_complete",
        "COMP_WORDS": "mailflow submissions list --status ",
        "COMP_CWORD": "4",
    }
    probe = "from mailflow.cli import main; main(prog_name='mailflow')"

    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )

    assert done.stdout.split() == [
        "plain,accepted",
        "plain,needs_revision",
        "plain,held",
        "plain,rejected",
        "plain,superseded",
    ]


def test_readme_documents_shell_completion_and_the_virtual_environment() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert 'eval "$(_MAILFLOW_COMPLETE=bash_source mailflow)"' in readme
    try_it = readme.split("## Try it", 1)[1].split("\n## ", 1)[0]
    assert "`. .venv/bin/activate`" in try_it


@pytest.mark.parametrize(
    ("args", "keys"),
    [
        (["poll"], {"new", "already_recorded", "submissions", "outbox"}),
        (["call", "--dry-run"], {"queued", "skipped", "recipients", "dry_run"}),
        (["remind", "--dry-run"], {"queued", "skipped", "recipients", "reason"}),
        (["compile"], {"files", "warnings", "entries"}),
        (["members", "import", "members.csv"], {"added", "updated", "warnings", "changes"}),
        (["review", "11", "--reject"], {"id", "status", "confirmation"}),
        (["send-report", "--dry-run"], {"message", "message_id", "dry_run"}),
        (["members", "add", "new@members.test"], {"created", "addresses", "relinked_submissions"}),
        (
            ["members", "alias", "l.haddad@oasis-library.example.jo", "--add", "layla@mail.test"],
            {"member", "addresses", "aliases", "changed", "new_primary"},
        ),
        (["members", "deactivate", "bao.pq@thuvien-cuulong.example.vn"], {"name", "active"}),
        (["outbox", "retry", "--all-failed"], {"retried"}),
        (["reprocess", "11"], {"reprocessed", "changed"}),
    ],
)
def test_commands_that_report_a_result_give_json(
    ws: Workspace, args: list[str], keys: set[str]
) -> None:
    if args[0] != "poll":
        ws.ok("members", "import", "members.csv")
        ws.ok("poll")
    if args[0] == "send-report":
        ws.ok("compile")

    data = json.loads(ws.ok(*args, "--json"))

    assert set(data) >= keys


def test_lists_in_a_pipe_have_a_header_row_names_and_issues_in_words(ws: Workspace) -> None:
    ws.ok("members", "import", "members.csv")
    ws.ok("poll")

    lines = ws.ok("submissions", "list").splitlines()
    outbox = ws.ok("outbox", "list").splitlines()
    members = ws.ok("members", "list").splitlines()

    assert (
        lines[0] == "id\tstatus\tversion\tname\torganisation\taddress\taction lines\twords\tissues"
    )
    assert lines[4] == (
        "5\tneeds_revision\tv1\tLouise Tremblay\tGreenfield Regional Library Consortium\t"
        "l.tremblay@greenfield-libraries.example.ca\tC3 C4 C8\t229\ttoo long"
    )
    assert outbox[0] == "id\tkind\tstate\tattempts\trecipient\terror"
    assert members[0] == "address\taliases\tname\torganisation\tcountry\tlanguage\tstate"
    assert "\x1b[" not in "\n".join(lines + outbox + members)


def test_show_includes_the_review_note_who_and_when(ws: Workspace) -> None:
    ws.ok("members", "import", "members.csv")
    ws.ok("poll")
    ws.ok("review", "11", "--reject", "--note", "not one of ours")

    shown = ws.ok("submissions", "show", "11")
    data = ws.json("submissions", "show", "11")

    [decision] = data["decisions"]
    assert (decision["action"], decision["note"]) == ("reject", "not one of ours")
    assert decision["who"]
    assert data["review_note"] == "not one of ours"
    assert f"  decided reject by {decision['who']} at {decision['at']}: not one of ours\n" in shown
