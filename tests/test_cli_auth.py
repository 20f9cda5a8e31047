"""`mailflow auth login|status|logout` against the token server on loopback and Dovecot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result
from support.mail import append, contribution
from support.oauth_server import TokenServer
from support.servers import Mailbox

from mailflow.cli import main

pytestmark = pytest.mark.servers


@pytest.fixture
def workspace(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fresh_mailbox: Mailbox,
    token_server: TokenServer,
) -> Path:
    """A config reading ``fresh_mailbox`` with Microsoft device-code sign-in, and a ledger."""
    client_id = f"cli-{uuid.uuid4().hex[:8]}"
    token_server.add_client(client_id)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAILFLOW_CONFIG", raising=False)
    (tmp_path / "mailflow.toml").write_text(
        f"""\
[ledger]
url = "sqlite:///ledger.sqlite3"
[imap]
host = "127.0.0.1"
port = {fresh_mailbox.server.imap_port}
security = "none"
user = "{fresh_mailbox.user}"
auth = "oauth2"
[smtp]
from = "WSIS coordinator <{fresh_mailbox.user}>"
outdir = "sent"
[oauth2]
provider = "microsoft"
flow = "device"
client_id = "{client_id}"
authority = "{token_server.authority()}"
ca_file = "{token_server.ca_file}"
"""
    )
    assert run("init").exit_code == 0
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def approve_when_asked(server: TokenServer, user: str) -> threading.Thread:
    """The person: waits for the device code `auth login` shows, then signs in as ``user``."""

    def person() -> None:
        for _ in range(200):
            if server.pending_user_codes():
                server.approve(user)
                return
            threading.Event().wait(0.05)

    thread = threading.Thread(target=person)
    thread.start()
    return thread


def test_auth_login_by_device_code_then_status_and_logout(
    workspace: Path, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    person = approve_when_asked(token_server, fresh_mailbox.user)
    login = run("auth", "login")
    person.join()

    assert login.exit_code == 0, login.output
    shown, _, rest = login.output.partition("\n")
    assert shown.startswith(f"To sign in, open {token_server.url}/device in a browser and enter")
    assert rest.startswith(f"{fresh_mailbox.user}: microsoft (device), signed in; scopes ")
    [state] = json.loads(run("auth", "status", "--json").output)
    assert (state["account"], state["signed_in"], state["scopes"]) == (
        fresh_mailbox.user,
        True,
        [
            "https://outlook.office.com/IMAP.AccessAsUser.All",
            "https://outlook.office.com/SMTP.Send",
            "offline_access",  # msal asks for these three itself
            "openid",
            "profile",
        ],
    )
    assert run("poll", "--no-send").exit_code == 0
    assert run("auth", "logout").output == f"signed out: {fresh_mailbox.user}\n"
    assert run("auth", "status").output == (
        f"{fresh_mailbox.user}: microsoft (device), not signed in: run `mailflow auth login`\n"
    )


def test_poll_after_logout_fails_with_the_fix(workspace: Path, fresh_mailbox: Mailbox) -> None:
    result = run("poll", "--no-send")

    assert result.exit_code == 1
    assert result.output == (
        f"Error: nobody has signed in to {fresh_mailbox.user} yet: run `mailflow auth login`\n"
    )


def test_output_never_shows_a_token(
    workspace: Path, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    person = approve_when_asked(token_server, fresh_mailbox.user)
    output = run("auth", "login").output
    person.join()
    output += run("auth", "status").output + run("auth", "status", "--json").output

    [refresh] = token_server.refresh_tokens_of(fresh_mailbox.user)
    assert refresh not in output
    assert "at-" not in output
    assert output.count(f"{fresh_mailbox.user}: microsoft (device), signed in; scopes ") == 2


def test_status_shows_signin_and_last_fetch(
    workspace: Path, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    person = approve_when_asked(token_server, fresh_mailbox.user)
    run("auth", "login")
    person.join()
    assert run("poll", "--no-send").exit_code == 0

    data = json.loads(run("status", "--json").output)

    [state] = data["signin"]
    assert (state["account"], state["signed_in"]) == (fresh_mailbox.user, True)
    assert data["alerts"] == []
    assert data["service"]["last_fetch"] == data["service"]["last_poll"] is not None
    assert data["service"]["last_send"] is None
    text = run("status").output
    assert f"{fresh_mailbox.user}: signed in (microsoft), access token valid until" in text


def test_auth_login_google_installed_shows_an_address_then_signs_in(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fresh_mailbox: Mailbox,
    token_server: TokenServer,
) -> None:
    """A Gmail account: no device code; the address is opened in a browser on this machine."""
    client_id = f"gmail-{uuid.uuid4().hex[:8]}"
    token_server.add_client(client_id, "desktop-secret")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MAILFLOW_OAUTH2_CLIENT_SECRET", "desktop-secret")
    monkeypatch.delenv("MAILFLOW_CONFIG", raising=False)
    user = fresh_mailbox.user
    (tmp_path / "mailflow.toml").write_text(
        f'[ledger]\nurl = "sqlite:///ledger.sqlite3"\n'
        f'[imap]\nhost = "127.0.0.1"\nport = {fresh_mailbox.server.imap_port}\n'
        f'security = "none"\nuser = "{user}"\nauth = "oauth2"\n'
        f'[smtp]\nfrom = "WSIS coordinator <{user}>"\noutdir = "sent"\n'
        f'[oauth2]\nprovider = "google"\nflow = "installed"\nclient_id = "{client_id}"\n'
        f'token_url = "{token_server.url}/token"\nauth_url = "{token_server.url}/authorize"\n'
        f'ca_file = "{token_server.ca_file}"\n'
    )
    assert run("init").exit_code == 0
    command = [str(Path(sys.executable).with_name("mailflow")), "auth", "login"]

    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    ) as login:
        assert login.stderr is not None
        shown = login.stderr.readline()
        # The person's browser: the token server signs them in and redirects to mailflow.
        url = shown.rstrip("\n").rpartition(": ")[2]
        requests.get(url, verify=str(token_server.ca_file), timeout=30)
        out, err = login.communicate(timeout=60)

    assert login.returncode == 0, err
    assert shown.startswith(
        "To sign in, open this address in a browser on this machine and sign in as "
        f"{user}: {token_server.url}/authorize?"
    )
    assert out.startswith(
        f"{user}: google (installed), signed in; scopes https://mail.google.com/; access token "
        "valid until "
    )
    append(fresh_mailbox, [contribution(5)])
    assert run("poll", "--no-send").exit_code == 0
    [state] = json.loads(run("auth", "status", "--json").output)
    assert (state["provider"], state["flow"], state["signed_in"]) == ("google", "installed", True)
