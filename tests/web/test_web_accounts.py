"""Console accounts: password hashes, lockout, roles, and `mailflow web user add`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailflow import accounts
from mailflow.cli import main
from mailflow.config import Settings
from mailflow.ledger import Ledger

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def test_password_hash_is_salted_scrypt_and_checks() -> None:
    first = accounts.hash_password("correct horse battery")
    second = accounts.hash_password("correct horse battery")

    assert first.startswith("scrypt$16384$8$1$")
    assert first != second
    assert accounts.check_password("correct horse battery", first)
    assert not accounts.check_password("correct horse batterY", first)
    assert not accounts.check_password("anything", "md5$abc")
    assert not accounts.check_password("anything", "scrypt$x$y")


@pytest.mark.parametrize(
    ("name", "password", "role", "message"),
    [
        ("anna", "short", "coordinator", "the password must have at least 10 characters"),
        ("anna", "long enough pw", "admin", "the role must be one of coordinator, viewer"),
        ("an na", "long enough pw", "viewer", "'an na' is not a usable account name"),
        ("", "long enough pw", "viewer", "'' is not a usable account name"),
    ],
)
def test_add_user_refuses_bad_input(
    ledger: Ledger, name: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(accounts.AccountError) as error, ledger.transaction() as session:
        accounts.add_user(session, name, password, role)
    assert str(error.value).startswith(message)


def test_authenticate_locks_after_five_failures_until_the_lockout_ends(ledger: Ledger) -> None:
    with ledger.transaction() as session:
        accounts.add_user(session, "Anna", "correct horse battery", "coordinator")
    outcomes = []
    for minute in range(5):
        with ledger.transaction() as session:
            outcome = accounts.authenticate(
                session, "anna", "wrong", now=NOW + timedelta(minutes=minute)
            )
            assert isinstance(outcome, accounts.LoginRefused)
            outcomes.append(outcome.locked_until)
    assert outcomes == [None, None, None, None, NOW + timedelta(minutes=4) + accounts.LOCKOUT]
    with ledger.transaction() as session:
        locked = accounts.authenticate(
            session, "anna", "correct horse battery", now=NOW + timedelta(minutes=10)
        )
    assert isinstance(locked, accounts.LoginRefused)
    with ledger.transaction() as session:
        later = accounts.authenticate(
            session, "ANNA ", "correct horse battery", now=NOW + timedelta(minutes=20)
        )
    assert later == accounts.Account(id=1, name="anna", role="coordinator")


def test_authenticate_refuses_an_unknown_name_like_a_wrong_password(ledger: Ledger) -> None:
    with ledger.transaction() as session:
        outcome = accounts.authenticate(session, "nobody", "whatever it is", now=NOW)
    assert isinstance(outcome, accounts.LoginRefused)
    assert str(outcome) == "wrong name or password"


def test_session_key_is_made_once(ledger: Ledger) -> None:
    with ledger.transaction() as session:
        first = accounts.session_key(session)
    with ledger.transaction() as session:
        second = accounts.session_key(session)
    assert first == second
    assert len(first) == 64


def _config(tmp_path: Path, settings: Settings) -> Path:
    path = tmp_path / "mailflow.toml"
    path.write_text(f'[ledger]\nurl = "{settings.ledger.url}"\n', encoding="utf-8")
    return path


def test_cli_web_user_add_reads_the_password_from_stdin(
    tmp_path: Path, settings: Settings, ledger: Ledger
) -> None:
    config = _config(tmp_path, settings)
    runner = CliRunner()
    added = runner.invoke(
        main,
        [
            "--config",
            str(config),
            "web",
            "user",
            "add",
            "Board",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        input="only looking, thanks\n",
    )
    assert added.exit_code == 0, added.output
    assert added.output == "added board (viewer)\n"
    listed = runner.invoke(main, ["--config", str(config), "web", "user", "list"])
    assert listed.output == "board\tviewer\tlast login never\n"
    again = runner.invoke(
        main,
        ["--config", str(config), "web", "user", "add", "board", "--password-stdin"],
        input="a new password here\n",
    )
    assert again.output == "updated board (coordinator)\n"


def test_cli_web_user_add_refuses_a_short_password(
    tmp_path: Path, settings: Settings, ledger: Ledger
) -> None:
    config = _config(tmp_path, settings)
    result = CliRunner().invoke(
        main,
        ["--config", str(config), "web", "user", "add", "anna", "--password-stdin"],
        input="short\n",
    )
    assert result.exit_code == 1
    assert result.output == "Error: the password must have at least 10 characters\n"
