"""Spoofing checks by default: `init` sets the trusted authserv-id, `status` warns without it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mailflow.cli import main
from mailflow.config_loader import load

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


def mail(number: int, results: str) -> bytes:
    return (
        f"Authentication-Results: {results}\r\n"
        "Authentication-Results: relay.members.test; spf=pass\r\n"
        f"From: hoa@members.test\r\nTo: wsis@association.test\r\nSubject: WSIS {number}\r\n"
        f"Message-ID: <auth-{number}@members.test>\r\n\r\n"
        "Action lines: C3\r\nWhy: we lend e-readers. https://lib.example.org\r\n"
    ).encode()


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILFLOW_CONFIG", raising=False)
    (tmp_path / "mailflow.toml").write_text(CONFIG)
    for sub in ("new", "cur", "tmp"):
        (tmp_path / "Maildir" / sub).mkdir(parents=True)
    return tmp_path


def test_init_without_mail_says_the_authserv_id_comes_later(workspace: Path) -> None:
    result = run("init")

    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == (
        "no trusted authserv-id yet: run `mailflow init` again after the first poll to detect "
        "it, or pass --authserv-id"
    )
    assert load(workspace / "mailflow.toml").security.trusted_authserv_ids == ()


def test_status_warns_while_no_authserv_id_is_trusted(workspace: Path) -> None:
    run("init")

    shown = run("status").output
    warnings = json.loads(run("status", "--json").output)["warnings"]

    assert warnings == [
        "no trusted authserv-id is set (security.trusted_authserv_ids), so a member address "
        "forged by a stranger is not recognised; run `mailflow init` after the first poll to "
        "detect the one your mail server stamps, or set it in mailflow.toml"
    ]
    assert "warning: no trusted authserv-id is set" in " ".join(shown.split())


def test_init_after_the_first_poll_trusts_the_servers_authserv_id_and_spoofing_is_caught(
    workspace: Path,
) -> None:
    run("init")
    run("members", "add", "hoa@members.test", "--name", "Hoa")
    (workspace / "Maildir" / "new" / "1.first").write_bytes(
        mail(1, "mx.association.test; dmarc=pass header.from=members.test")
    )
    run("poll", "--no-send")

    result = run("init")
    (workspace / "Maildir" / "new" / "2.forged").write_bytes(
        mail(2, "mx.association.test; dmarc=fail header.from=members.test")
    )
    run("poll", "--no-send")
    rows = json.loads(run("submissions", "list", "--all", "--json").output)

    assert result.output.splitlines()[-1] == (
        f"trusting authserv-id mx.association.test (from the first mail received) in "
        f"{Path('mailflow.toml')}"
    )
    assert load(workspace / "mailflow.toml").security.trusted_authserv_ids == (
        "mx.association.test",
    )
    assert json.loads(run("status", "--json").output)["warnings"] == []
    forged = [row for row in rows if row["version"] == 2]
    assert forged and "spoofed" in [issue["code"] for issue in forged[0]["issues"]]


def test_init_with_an_authserv_id_option_writes_it(workspace: Path) -> None:
    result = run("init", "--authserv-id", "mx.example.org")

    assert result.exit_code == 0
    assert load(workspace / "mailflow.toml").security.trusted_authserv_ids == ("mx.example.org",)


def test_init_refuses_an_authserv_id_that_is_not_one(workspace: Path) -> None:
    result = run("init", "--authserv-id", 'x"]\n[ledger]')

    assert result.exit_code == 1
    assert "security.trusted_authserv_ids: not an authserv-id" in result.output
