"""Never on hidden defaults: the configuration file, unknown keys and variables, the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import CONFIG, Workspace, make_workspace
from support.servers import Mailbox


@pytest.mark.parametrize(
    "command", [["db", "upgrade"], ["call"], ["members", "list"], ["poll"], ["outbox", "flush"]]
)
def test_any_command_without_mailflow_toml_is_exit_1_saying_run_init(
    tmp_path: Path, command: list[str]
) -> None:
    ws = Workspace(tmp_path)

    result = ws.run(*command)

    assert (result.exit_code, result.stderr) == (
        1,
        "Error: mailflow.toml: no such file (run `mailflow init` to write one)\n",
    )
    assert list(tmp_path.iterdir()) == []


def test_missing_config_option_file_gives_the_same_message(tmp_path: Path) -> None:
    result = Workspace(tmp_path).run("--config", "elsewhere.toml", "status")

    assert (result.exit_code, result.stderr) == (
        1,
        "Error: elsewhere.toml: no such file (run `mailflow init` to write one)\n",
    )


def test_init_and_help_work_without_a_config(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)

    assert ws.run("--help").exit_code == 0
    assert ws.run("init").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mailflow.sqlite3", "mailflow.toml"]


def test_unknown_imap_key_suggests_security(tmp_path: Path) -> None:
    ws = make_workspace(
        tmp_path, CONFIG.replace("[imap]\n", '[imap]\nsecurty = "ssl"\n'), init=False
    )

    result = ws.run("status")

    assert (result.exit_code, result.stderr) == (
        1,
        "Error: imap.securty: unknown key (did you mean security?)\n",
    )


def test_unknown_section_suggests_the_nearest(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, CONFIG + "[securty]\n", init=False)

    result = ws.run("status")

    assert (result.exit_code, result.stderr) == (
        1,
        "Error: securty: unknown section (did you mean security?)\n",
    )


def test_unknown_mailflow_variable_warns_with_the_nearest(ws: Workspace) -> None:
    result = ws.run("members", "list", env={"MAILFLOW_IMAP_PASWORD": "x"})

    assert result.exit_code == 0
    assert result.stderr == (
        "warning: MAILFLOW_IMAP_PASWORD is not a mailflow setting and is ignored "
        "(did you mean MAILFLOW_IMAP_PASSWORD?)\n"
    )


def test_known_mailflow_variables_warn_nothing(ws: Workspace) -> None:
    result = ws.run(
        "members", "list", env={"MAILFLOW_SMTP_PASSWORD": "x", "MAILFLOW_IMAP_HOST": "h"}
    )

    assert (result.exit_code, result.stderr) == (0, "")


@pytest.mark.servers
def test_refused_imap_login_with_the_password_unset_names_the_variable(
    tmp_path: Path, fresh_mailbox: Mailbox
) -> None:
    port = fresh_mailbox.server.imap_port
    config = CONFIG.replace(
        'maildir = "Maildir"\nuser = "wsis@association.test"',
        f'host = "127.0.0.1"\nport = {port}\nsecurity = "none"\nuser = "{fresh_mailbox.user}"',
    )
    ws = make_workspace(tmp_path, config)

    result = ws.run("poll")

    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: IMAP server 127.0.0.1:{port}: login refused for {fresh_mailbox.user}; the "
        "password is not set: set MAILFLOW_IMAP_PASSWORD (or imap.password_command)\n",
    )


def test_call_refuses_the_example_association_unless_forced(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, CONFIG.replace("association = ", "# association = "))
    ws.ok("members", "import", "members.csv")

    refused = ws.run("call")
    forced = ws.run("call", "--force")

    assert (refused.exit_code, refused.stderr) == (
        1,
        "Error: campaign.association is still the example ('Example Library Association'); "
        "set your association's name in mailflow.toml, or send the call anyway with --force\n",
    )
    assert forced.stdout == "call: 11 queued, 0 skipped; outbox: 11 sent\n"


def test_call_refuses_a_passed_deadline_unless_forced(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, CONFIG.replace("2099-09-30", "2020-09-30"))
    ws.ok("members", "import", "members.csv")

    refused = ws.run("call")

    assert (refused.exit_code, refused.stderr) == (
        1,
        "Error: the deadline (2020-09-30T23:59:59+07:00) has passed; set campaign.deadline to "
        "this campaign's, or send the call anyway with --force\n",
    )
    assert ws.ok("call", "--force").startswith("call: 11 queued")


def test_remind_refuses_the_example_association_unless_forced(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, CONFIG.replace("association = ", "# association = "))
    ws.ok("members", "import", "members.csv")

    refused = ws.run("remind")

    assert refused.exit_code == 1
    assert refused.stderr.endswith("or send the reminders anyway with --force\n")
    assert ws.ok("remind", "--force").startswith("reminders: 11 queued")


def test_remind_after_the_deadline_is_refused_even_forced(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, CONFIG.replace("2099-09-30", "2020-09-30"))

    result = ws.run("remind", "--force")

    assert (result.exit_code, result.stderr) == (
        1,
        "Error: the deadline (2020-09-30T23:59:59+07:00) has passed; no reminders\n",
    )
