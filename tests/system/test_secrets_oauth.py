"""No OAuth2 token or secret reaches an output, a log line or the ledger, whatever is echoed.

The tokens come from the session's token server on loopback (`support.oauth_server`), which
Dovecot's oauth2 passdb asks about every token it is given. Then servers that repeat what they
were sent refuse them: the SMTP test server in echo mode (the base64 XOAUTH2 response), the
echoing IMAP server (the AUTHENTICATE response) and the token server itself in echo mode (the
refresh token, a service account's signed assertion). The CLI's output, the debug log,
``status --json``, ``auth status`` and the ledger's rows (all but ``oauth_tokens``, whose job is to
hold the tokens) are searched for every secret the token server issued or received during the
test, as written and inside any base64 run (`support.leaks`).
"""

from __future__ import annotations

import io
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from support.imap_echo import EchoingImapServer
from support.leaks import leaks, ledger_text
from support.mail import append, contribution
from support.oauth_server import TokenServer
from support.servers import Mailbox
from support.smtp_server import SmtpTestServer

from mailflow import logs
from mailflow.cli import main

pytestmark = pytest.mark.servers

SECRET = "app-secret-for-echo-tests"


class Workspace:
    """A mailflow.toml signing in with OAuth2, a ledger, and everything shown or logged."""

    def __init__(self, root: Path, token_server: TokenServer, sections: str) -> None:
        self.root = root
        self.token_server = token_server
        self.before = set(token_server.seen)
        (root / "mailflow.toml").write_text(
            f'[ledger]\nurl = "sqlite:///{root / "ledger.sqlite3"}"\n{sections}'
            '[campaign]\ndeadline = "2099-09-30T23:59:59+07:00"\n',
            encoding="utf-8",
        )
        self.env = {"MAILFLOW_OAUTH2_CLIENT_SECRET": SECRET}
        self.shown: list[str] = []
        self.log = io.StringIO()
        assert self.run("init") == 0, self.shown[-1]

    def run(self, *args: str) -> int:
        level = logging.getLogger().level
        handler = logs.setup("text", "DEBUG", stream=self.log)
        try:
            result = CliRunner().invoke(
                main,
                ["--config", str(self.root / "mailflow.toml"), *args],
                env=self.env,
                catch_exceptions=False,
            )
        finally:
            logs.teardown(handler)
            logging.getLogger().setLevel(level)
        self.shown.append(result.output)
        return result.exit_code

    def secrets(self) -> set[str]:
        """Every token and secret that crossed the token server's wire during the test."""
        return (self.token_server.seen - self.before) | {SECRET}

    def everything(self) -> str:
        """All that was shown and logged, ``status --json``, ``auth status`` and the ledger's
        rows but the tokens' own."""
        self.run("status", "--json")
        self.run("auth", "status")
        self.run("auth", "status", "--json")
        self.run("outbox", "list", "--json")
        stored = ledger_text(self.root / "ledger.sqlite3", without=("oauth_tokens",))
        return "\n".join([*self.shown, self.log.getvalue(), stored])


def client(token_server: TokenServer, user: str, secret: str = SECRET) -> str:
    """A new client of the token server (an app allowed to open ``user``'s mailbox)."""
    client_id = f"echo-{uuid.uuid4().hex[:8]}"
    token_server.add_client(client_id, secret)
    token_server.app_user[client_id] = user
    return client_id


def oauth2_section(token_server: TokenServer, client_id: str, flow: str = "app") -> str:
    return (
        f'[oauth2]\nprovider = "microsoft"\nflow = "{flow}"\nclient_id = "{client_id}"\n'
        f'authority = "{token_server.authority()}"\nca_file = "{token_server.ca_file}"\n'
    )


@pytest.fixture
def echoing_smtp(fresh_mailbox: Mailbox) -> Iterator[SmtpTestServer]:
    with SmtpTestServer(users={fresh_mailbox.user: "not-used"}) as server:
        yield server


def test_smtp_server_echoing_the_xoauth2_response_leaks_no_token(
    tmp_path: Path,
    token_server: TokenServer,
    fresh_mailbox: Mailbox,
    echoing_smtp: SmtpTestServer,
) -> None:
    user = fresh_mailbox.user
    work = Workspace(
        tmp_path,
        token_server,
        f'[imap]\nhost = "127.0.0.1"\nport = {fresh_mailbox.server.imap_port}\n'
        f'security = "none"\nuser = "{user}"\nauth = "oauth2"\n'
        f'[smtp]\nhost = "{echoing_smtp.host}"\nport = {echoing_smtp.port}\nsecurity = "none"\n'
        f'user = "{user}"\nauth = "oauth2"\nfrom = "WSIS coordinator <{user}>"\n'
        + oauth2_section(token_server, client(token_server, user)),
    )
    assert work.run("members", "add", "member1@library.test") == 0
    append(fresh_mailbox, [contribution(1)])

    echoing_smtp.echo_auth(535)  # the token refused for good, the base64 response quoted
    refused = work.run("poll")  # Dovecot accepts the token; the confirmation is not sent
    echoing_smtp.echo_auth(454)  # refused for now: the reply is stored with the retry
    deferred = work.run("outbox", "flush")
    text = work.everything()

    assert (refused, deferred) == (1, 1)
    where = f"{echoing_smtp.host}:{echoing_smtp.port}"
    refusal = f"{where} refused the access token of {user}: {{}} 5.7.8 credentials *** are not "
    assert work.shown[2:4] == [
        f"Error: 1 mail not sent: {refusal.format(535)}valid here\n",
        f"outbox: 1 retry\nError: 1 mail not sent: {refusal.format(454)}valid here\n",
    ]
    access_tokens = [s for s in work.secrets() if s.startswith("at-")]
    assert len(access_tokens) >= 1
    assert {secret: leaks(text, secret) for secret in work.secrets()} == {
        secret: [] for secret in work.secrets()
    }


@pytest.mark.parametrize("mode", ["bad", "no", "bye"])
def test_imap_server_echoing_the_authenticate_response_leaks_no_token(
    tmp_path: Path, token_server: TokenServer, mode: str
) -> None:
    user = "wsis@association.test"
    with EchoingImapServer(mode) as imap:
        work = Workspace(
            tmp_path,
            token_server,
            f'[imap]\nhost = "127.0.0.1"\nport = {imap.port}\nsecurity = "none"\n'
            f'user = "{user}"\nauth = "oauth2"\n[smtp]\nfrom = "WSIS <{user}>"\noutdir = "sent"\n'
            + oauth2_section(token_server, client(token_server, user)),
        )
        code = work.run("poll", "--no-send")
        sent = imap.logins
    text = work.everything()

    assert code == 1
    assert [login.split(b" ")[0] for login in sent] == [b"XOAUTH2"] * len(sent)
    assert len(sent) == (1 if mode == "bye" else 2)  # a refused token is replaced once
    assert {secret: leaks(text, secret) for secret in work.secrets()} == {
        secret: [] for secret in work.secrets()
    }


def test_token_endpoint_echoing_the_refresh_token_leaks_nothing(
    tmp_path: Path,
    token_server: TokenServer,
    fresh_mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = fresh_mailbox.user
    work = Workspace(
        tmp_path,
        token_server,
        f'[imap]\nhost = "127.0.0.1"\nport = {fresh_mailbox.server.imap_port}\n'
        f'security = "none"\nuser = "{user}"\nauth = "oauth2"\n'
        f'[smtp]\nfrom = "WSIS <{user}>"\noutdir = "sent"\n'
        + oauth2_section(token_server, client(token_server, user, secret=""), flow="device"),
    )
    person = threading.Thread(target=_approve_when_asked, args=(token_server, user))
    person.start()
    assert work.run("auth", "login") == 0
    person.join()
    [refresh_token] = token_server.refresh_tokens_of(user)
    token_server.revoke(user)  # Dovecot refuses the stored access token; the refresh fails
    monkeypatch.setattr(token_server, "echo", True)

    code = work.run("poll", "--no-send")
    shown = work.shown[-1]
    text = work.everything()

    assert code == 1
    assert shown == (
        f"Error: the sign-in to {user} at Microsoft is no longer valid (it was revoked, "
        "expired or the password changed; Microsoft says invalid_grant: AADSTS70008: The "
        "refresh token has expired or was revoked. (received refresh_token=***)); a person "
        "must sign in again: run `mailflow auth login`\n"
    )
    assert refresh_token in work.secrets()
    assert {secret: leaks(text, secret) for secret in work.secrets()} == {
        secret: [] for secret in work.secrets()
    }


def test_token_endpoint_echoing_a_service_account_assertion_leaks_nothing(
    tmp_path: Path,
    token_server: TokenServer,
    fresh_mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = fresh_mailbox.user
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    # A key the token server was never told about: it refuses the assertion and quotes it.
    (tmp_path / "key.json").write_text(
        json.dumps(
            {
                "type": "service_account",
                "client_email": f"unknown@{tmp_path.name}.iam.gserviceaccount.com",
                "private_key_id": "1",
                "private_key": pem,
                "token_uri": f"{token_server.url}/token",
            }
        )
    )
    work = Workspace(
        tmp_path,
        token_server,
        f'[imap]\nhost = "127.0.0.1"\nport = {fresh_mailbox.server.imap_port}\n'
        f'security = "none"\nuser = "{user}"\nauth = "oauth2"\n'
        f'[smtp]\nfrom = "WSIS <{user}>"\noutdir = "sent"\n'
        f'[oauth2]\nprovider = "google"\nflow = "app"\n'
        f'service_account_file = "{tmp_path / "key.json"}"\nca_file = "{token_server.ca_file}"\n',
    )
    monkeypatch.setattr(token_server, "echo", True)

    code = work.run("poll", "--no-send")
    shown = work.shown[-1]
    text = work.everything()

    assert code == 1
    assert shown == (
        "Error: Google refused mailflow's app registration (invalid_grant: bad assertion: "
        "KeyError (received assertion=***)); check oauth2.client_id, the client secret "
        "(MAILFLOW_OAUTH2_CLIENT_SECRET or oauth2.secret_command) or the service account key, "
        "and the permissions granted to the app\n"
    )
    [assertion] = [s for s in work.secrets() if s.count(".") == 2]
    signature = assertion.rsplit(".", 1)[1]
    assert leaks(text, assertion) == leaks(text, signature[:40]) == []
    assert {secret: leaks(text, secret) for secret in work.secrets()} == {
        secret: [] for secret in work.secrets()
    }


def _approve_when_asked(server: TokenServer, user: str) -> None:
    """The person: waits for the device code `auth login` shows, then signs in as ``user``."""
    for _ in range(200):
        if server.pending_user_codes():
            server.approve(user)
            return
        threading.Event().wait(0.05)
