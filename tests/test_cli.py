"""The command line contract of design.md §7: commands, exit codes, JSON shapes."""

from __future__ import annotations

import csv
import gc
import io
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from support import ROOT, TESTS

from mailflow.cli import main
from mailflow.resources import sample_maildir

GOLDEN = TESTS / "golden"

CONFIG = """\
[ledger]
url = "sqlite:///ledger.sqlite3"
[imap]
maildir = "Maildir"
user = "wsis@association.test"
[smtp]
from = "WSIS coordinator <wsis@association.test>"
outdir = "sent"
[campaign]
association = "Lakeside Library Association"
deadline = "2099-09-30T23:59:59+07:00"
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a config, the sample Maildir and roster, and an initialised ledger."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILFLOW_CONFIG", raising=False)
    (tmp_path / "mailflow.toml").write_text(CONFIG)
    shutil.copytree(sample_maildir(), tmp_path / "Maildir")
    shutil.copyfile(sample_maildir().parent / "members.csv", tmp_path / "members.csv")
    assert run("init").exit_code == 0
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return result.output


def test_init_writes_a_config_and_the_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    output = ok("init")
    assert "wrote mailflow.toml" in output
    assert (tmp_path / "mailflow.toml").read_text().startswith("# mailflow configuration")
    assert (tmp_path / "mailflow.sqlite3").exists()
    assert "exists; keeping it" in ok("init")


def test_command_without_a_config_file_says_run_init(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILFLOW_CONFIG", raising=False)

    result = run("status")

    assert (result.exit_code, result.output) == (
        1,
        "Error: mailflow.toml: no such file (run `mailflow init` to write one)\n",
    )


def test_command_before_the_ledger_exists_says_run_init_and_creates_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mailflow.toml").write_text(CONFIG.replace("ledger.sqlite3", "data/l.sqlite3"))

    result = run("status")

    assert result.exit_code == 1
    assert result.output == (
        f"Error: no ledger at {tmp_path}/data/l.sqlite3; run `mailflow init` to create it "
        "(or check ledger.url in the configuration)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mailflow.toml"]


def test_invalid_config_is_exit_1_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[imap]\nport = "many"\n')
    result = run("--config", str(path), "status")
    assert result.exit_code == 1
    assert "Error: imap.port: must be an integer" in result.output


def test_help_starts_without_the_ledgers_libraries() -> None:
    probe = (
        "import sys; from click.testing import CliRunner; from mailflow.cli import main; "
        "result = CliRunner().invoke(main, ['outbox', 'flush', '--help']); "
        "print(result.exit_code, [m for m in ('sqlalchemy', 'alembic') if m in sys.modules])"
    )

    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)

    assert (result.stdout, result.stderr) == ("0 []\n", "")


def test_the_program_leaves_its_objects_out_of_the_last_collection() -> None:
    probe = (
        "import atexit, gc; from mailflow.cli import main; "
        "atexit.register(lambda: print(gc.get_freeze_count() > 0)); main(['--help'])"
    )

    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)

    assert (result.returncode, result.stdout.splitlines()[-1]) == (0, "True")


def test_a_command_run_in_process_freezes_nothing() -> None:
    ok("--help")

    assert gc.get_freeze_count() == 0


def test_usage_error_is_exit_2() -> None:
    assert run("poll", "--no-such-option").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_members_import_and_list_json(workspace: Path) -> None:
    assert ok("members", "import", "members.csv") == "11 added, 0 updated, 0 unchanged\n"
    assert ok("members", "import", "members.csv") == "0 added, 0 updated, 11 unchanged\n"
    members = json.loads(ok("members", "list", "--json"))
    assert len(members) == 11
    assert members[1] == {
        "id": 2,
        "email": "minh.tv@thuvien-supham.example.vn",
        "aliases": [],
        "addresses": ["minh.tv@thuvien-supham.example.vn"],
        "undeliverable": [],
        "name": "Trần Văn Minh",
        "organisation": "Thư viện Đại học Sư phạm",
        "country": "Viet Nam",
        "language": "vi",
        "active": True,
    }


def test_members_import_warns_about_languages_mailflow_cannot_write(workspace: Path) -> None:
    (workspace / "more.csv").write_text(
        "email,name,organisation,country,language\n"
        "anna@bib.example.de,Anna,Stadtbibliothek,Germany,de\n"
        "hoa@members.test,Hoa,Thu vien,Viet Nam,vi-VN\n"
        "joao@bib.example.pt,João,Biblioteca,Portugal,pt\n",
        encoding="utf-8",
    )
    result = run("members", "import", "more.csv")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "3 added, 0 updated, 0 unchanged\n",
        "warning: mailflow cannot write in de, pt; 2 member(s) will get English: "
        "anna@bib.example.de, joao@bib.example.pt\n",
    )


def test_members_import_bad_address_names_the_line(workspace: Path) -> None:
    (workspace / "bad.csv").write_text("email,name\nok@members.test,A\nnot-an-address,B\n")
    result = run("members", "import", "bad.csv")
    assert result.exit_code == 1
    assert result.output == (
        "Error: bad.csv: 1 row cannot be imported, so nothing was:\n"
        "  line 3: not a mail address: 'not-an-address'\n"
    )


def test_members_add_second_address_and_deactivate(workspace: Path) -> None:
    ok("members", "add", "hoa@members.test", "--name", "Hoa", "--language", "vi")
    ok("members", "add", "hoa@members.test", "hoa.alt@members.test")
    ok("members", "deactivate", "hoa.alt@members.test")
    [member] = json.loads(ok("members", "list", "--json"))
    assert member["addresses"] == ["hoa@members.test", "hoa.alt@members.test"]
    assert member["active"] is False


def test_poll_then_status_json_has_the_design_shape(workspace: Path) -> None:
    ok("members", "import", "members.csv")
    assert ok("poll").startswith("13 new, 0 already recorded")
    assert ok("poll").startswith("0 new, 13 already recorded")
    status = json.loads(ok("status", "--json"))
    assert set(status) >= {"campaign", "messages", "submissions", "outbox", "report"}
    assert status["campaign"]["word_limit"] == 200
    assert status["campaign"]["recipient"] == "maria.debrasdefer@ifla.org"
    assert status["messages"]["total"] == 13
    assert status["messages"]["auto_reply"] == 1
    assert status["submissions"] == {
        "accepted": 9,
        "needs_revision": 1,
        "held": 1,
        "rejected": 0,
        "superseded": 1,
    }
    assert status["outbox"]["sent"] == 11
    assert status["report"]["state"] is None


def test_submissions_list_and_show_json_shapes(workspace: Path) -> None:
    ok("members", "import", "members.csv")
    ok("poll", "--no-send")
    rows = json.loads(ok("submissions", "list", "--json"))
    assert len(rows) == 11
    keys = {
        "id",
        "member",
        "organisation",
        "country",
        "status",
        "version",
        "supersedes",
        "language",
        "action_lines",
        "word_count",
        "links",
        "issues",
        "received_at",
        "message_id",
        "confirmation",
    }
    assert all(keys <= set(row) for row in rows)
    anna = next(r for r in rows if r["member"] == "a.lindqvist@lakeside-library.example.org")
    assert (anna["version"], anna["status"]) == (2, "accepted")
    assert anna["confirmation"]["state"] == "queued"
    history = json.loads(ok("submissions", "list", "--all", "--json"))
    assert len(history) == 12
    held = json.loads(ok("submissions", "list", "--status", "held", "--json"))
    assert [r["member"] for r in held] == ["someone@elsewhere.example.net"]

    shown = json.loads(ok("submissions", "show", str(anna["id"]), "--json"))
    assert set(shown) >= keys | {"text", "fields", "mail"}
    assert shown["mail"][0]["direction"] == "in"
    assert shown["mail"][1]["kind"] == "confirmation"
    assert set(shown["fields"]) <= {
        "organisation",
        "country",
        "action_lines",
        "why",
        "outputs",
        "achievements",
        "trends",
        "obstacles",
        "future_actions",
    }


def test_submissions_show_unknown_id_is_exit_1(workspace: Path) -> None:
    result = run("submissions", "show", "999")
    assert result.exit_code == 1
    assert "Error: no submission 999" in result.output


def test_review_accept_sends_the_confirmation_and_keeps_the_note(workspace: Path) -> None:
    ok("members", "import", "members.csv")
    ok("poll")
    [held] = json.loads(ok("submissions", "list", "--status", "held", "--json"))
    assert "confirmation 1 sent" in ok("review", str(held["id"]), "--accept", "--note", "vouched")
    shown = json.loads(ok("submissions", "show", str(held["id"]), "--json"))
    assert shown["status"] == "accepted"
    assert shown["review_note"] == "vouched"
    again = run("review", str(held["id"]), "--reject")
    assert again.exit_code == 1
    assert "only held submissions are reviewed" in again.output
    assert run("review", str(held["id"])).exit_code == 2


def test_call_is_sent_once_per_member_unless_again(workspace: Path) -> None:
    ok("members", "import", "members.csv")
    assert ok("call").startswith("call: 11 queued, 0 skipped")
    assert ok("call").startswith("call: 0 queued, 11 skipped")
    assert ok("call", "--again").startswith("call: 11 queued")


def test_remind_skips_members_with_an_accepted_submission(workspace: Path) -> None:
    ok("members", "import", "members.csv")
    ok("poll")
    # 11 members: 9 accepted (incl. Anna's v2); Louise needs revision; Dana sent only an auto-reply.
    assert ok("remind").startswith("reminders: 2 queued, 9 skipped")
    assert ok("remind").startswith("reminders: 0 queued, 11 skipped")


def test_export_csv_and_json(workspace: Path) -> None:
    ok("members", "import", "members.csv")
    ok("poll", "--no-send")
    rows = list(csv.DictReader(io.StringIO(ok("export", "--format", "csv"))))
    data = json.loads(ok("export", "--format", "json"))
    assert len(rows) == len(data) == 11
    assert {r["id"] for r in rows} == {str(d["id"]) for d in data}


def test_outbox_list_and_flush(workspace: Path) -> None:
    ok("members", "import", "members.csv")
    ok("poll", "--no-send")
    assert [m["state"] for m in json.loads(ok("outbox", "list", "--json"))] == ["queued"] * 11
    assert json.loads(ok("outbox", "flush", "--json")) == {"sent": 11}
    assert len(list((workspace / "sent").glob("*.eml"))) == 11


def test_reprocess_all_keeps_results(workspace: Path) -> None:
    ok("members", "import", "members.csv")
    ok("poll", "--no-send")
    assert ok("reprocess", "--all") == "reprocessed 12 submission(s); 0 changed\n"
    assert run("reprocess").exit_code == 2


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((prefix + name, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, prefix + name + " "))
    return found


@pytest.mark.parametrize(("name", "command"), _commands(main))
def test_every_command_is_documented(name: str, command: click.Command) -> None:
    assert command.help, f"`mailflow {name}` has no help text"
    readme = (ROOT / "README.md").read_text()
    top = name.split()[0]
    assert f"mailflow {top}" in readme or top in {"db", "export", "reprocess", "outbox", "serve"}, (
        f"README does not mention {name}"
    )


def test_design_commands_exist() -> None:
    names = {name for name, _ in _commands(main)}
    assert names >= {
        "init",
        "db upgrade",
        "members import",
        "members list",
        "poll",
        "submissions list",
        "submissions show",
        "review",
        "call",
        "remind",
        "compile",
        "send-report",
        "outbox list",
        "outbox flush",
        "status",
        "export",
    }


def test_outbox_retry_puts_failed_mail_back_and_refuses_the_rest(workspace: Path) -> None:
    ok("members", "import", "members.csv")
    ok("poll")
    first, second, *_ = json.loads(ok("outbox", "list", "--json"))
    db = sqlite3.connect(workspace / "ledger.sqlite3")
    with db:
        db.execute("UPDATE outbox SET state = 'failed' WHERE id = ?", (first["id"],))
    db.close()

    retried = ok("outbox", "retry", str(first["id"]))
    none_left = ok("outbox", "retry", "--all-failed")
    sent = run("outbox", "retry", str(second["id"]))
    unknown = run("outbox", "retry", "99999")
    neither = run("outbox", "retry")

    assert retried == f"queued again: {first['id']}\n"
    assert none_left == "no failed mail\n"
    assert json.loads(ok("outbox", "list", "--json"))[0]["state"] == "queued"
    assert (sent.exit_code, unknown.exit_code, neither.exit_code) == (1, 1, 2)
    assert sent.output == f"Error: outbox mail {second['id']}: sent -> queued is not allowed\n"
    assert unknown.output == "Error: no outbox mail with id 99999\n"


def test_flush_with_smtp_user_but_no_password_exits_1_and_keeps_mail_queued(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok("members", "import", "members.csv")
    ok("poll", "--no-send")
    config = (
        (workspace / "mailflow.toml")
        .read_text()
        .replace(
            'outdir = "sent"',
            'host = "127.0.0.1"\nport = 2525\nsecurity = "none"\nuser = "wsis@association.test"',
        )
    )
    (workspace / "mailflow.toml").write_text(config)
    monkeypatch.delenv("MAILFLOW_SMTP_PASSWORD", raising=False)
    queued = [row["state"] for row in json.loads(ok("outbox", "list", "--json"))]

    result = run("outbox", "flush")

    assert result.exit_code == 1
    assert result.output == (
        "Error: 11 mails not sent: smtp.user is set but MAILFLOW_SMTP_PASSWORD is not\n"
    )
    assert [row["state"] for row in json.loads(ok("outbox", "list", "--json"))] == queued
    assert set(queued) == {"queued"}
