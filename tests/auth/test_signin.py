"""Signing in by device code or browser, refreshing, rotation, revocation: against the token
server on loopback (`support.oauth_server`) and Dovecot, which checks every token it is given."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from support.mail import append, contribution
from support.oauth_server import Clock, TokenServer
from support.servers import Mailbox
from support.settings import oauth_settings

from mailflow import pipeline, signin
from mailflow.errors import AuthError
from mailflow.ledger import Ledger
from mailflow.ledger.tokens import LedgerTokenStore, credentials_for
from mailflow.sources import open_source

pytestmark = pytest.mark.servers


def approving(server: TokenServer, user: str, shown: list[str]) -> object:
    """A ``show`` for `signin.login` that records the text and approves the device code."""

    def show(text: str) -> None:
        shown.append(text)
        server.approve(user)

    return show


def test_login_microsoft_device_code_stores_refresh_token(
    settings, ledger: Ledger, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(settings, fresh_mailbox, token_server, flow="device")
    shown: list[str] = []

    [state] = signin.login(config, ledger, approving(token_server, fresh_mailbox.user, shown))

    assert len(shown) == 1
    assert shown[0].startswith(f"To sign in, open {token_server.url}/device in a browser and ")
    assert shown[0].endswith(f". Sign in as {fresh_mailbox.user}.")
    assert (state.account, state.provider, state.flow, state.signed_in) == (
        fresh_mailbox.user,
        "microsoft",
        "device",
        True,
    )
    token = LedgerTokenStore(ledger, "microsoft").load(fresh_mailbox.user)
    assert token is not None
    assert token.refresh_token in token_server.refresh_tokens_of(fresh_mailbox.user)
    append(fresh_mailbox, [contribution(1)])
    assert pipeline.run_once(config, ledger, send=False).new == 1


def test_poll_before_any_login_says_to_sign_in(
    settings, ledger: Ledger, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(settings, fresh_mailbox, token_server, flow="device")

    with pytest.raises(AuthError) as caught:
        pipeline.run_once(config, ledger, send=False)

    assert str(caught.value) == (
        f"nobody has signed in to {fresh_mailbox.user} yet: run `mailflow auth login`"
    )


def test_rotated_refresh_token_is_saved_and_used_after_restart(
    settings, tmp_path: Path, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(settings, fresh_mailbox, token_server, flow="device")
    ledger = Ledger(config.ledger.url)
    ledger.upgrade()
    signin.login(config, ledger, approving(token_server, fresh_mailbox.user, []))
    first = LedgerTokenStore(ledger, "microsoft").load(fresh_mailbox.user)
    assert first is not None
    clock = Clock()
    clock.advance(timedelta(hours=2))  # the access token has expired

    credentials_for(config, ledger, "imap", clock=clock).token()  # type: ignore[union-attr]
    ledger.close()
    # A new process: nothing but the ledger file remembers the rotated refresh token.
    clock.advance(timedelta(hours=2))
    reopened = Ledger(config.ledger.url)
    source = open_source(config.imap, credentials_for(config, reopened, "imap", clock=clock))
    summary = pipeline.run_once(config, reopened, send=False, source=source)

    latest = LedgerTokenStore(reopened, "microsoft").load(fresh_mailbox.user)
    reopened.close()
    assert summary.failed == 0
    assert latest is not None
    assert latest.refresh_token not in (first.refresh_token, "")
    assert token_server.refresh_tokens_of(fresh_mailbox.user) == [latest.refresh_token]
    assert latest.refreshed_at == clock()


def test_revoked_grant_says_what_happened_and_what_to_run(
    settings, ledger: Ledger, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(settings, fresh_mailbox, token_server, flow="device")
    signin.login(config, ledger, approving(token_server, fresh_mailbox.user, []))
    token_server.revoke(fresh_mailbox.user)
    clock = Clock()
    clock.advance(timedelta(hours=1))
    credentials = credentials_for(config, ledger, "imap", clock=clock)
    assert credentials is not None

    with pytest.raises(AuthError) as caught:
        credentials.token()

    assert caught.value.signin_needed
    assert str(caught.value) == (
        f"the sign-in to {fresh_mailbox.user} at Microsoft is no longer valid (it was revoked, "
        "expired or the password changed; Microsoft says invalid_grant: AADSTS70008: The "
        "refresh token has expired or was revoked.); a person must sign in again: run "
        "`mailflow auth login`"
    )


def test_generic_device_login_then_refresh_keeps_unrotated_refresh_token(
    settings, ledger: Ledger, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(
        settings, fresh_mailbox, token_server, provider="generic", flow="device", scopes=("mail",)
    )
    token_server.rotate = False
    try:
        signin.login(config, ledger, approving(token_server, fresh_mailbox.user, []))
        before = LedgerTokenStore(ledger, "generic").load(fresh_mailbox.user)
        clock = Clock()
        clock.advance(timedelta(minutes=58))
        credentials = credentials_for(config, ledger, "imap", clock=clock)
        assert credentials is not None
        credentials.token()
    finally:
        token_server.rotate = True

    after = LedgerTokenStore(ledger, "generic").load(fresh_mailbox.user)
    assert before is not None and after is not None
    assert after.refresh_token == before.refresh_token
    assert after.access_token != before.access_token
    assert after.scopes == ("mail",)


def test_google_service_account_reads_mailbox_as_its_user(
    settings, ledger: Ledger, tmp_path: Path, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    account = f"mailflow@{tmp_path.name}.iam.gserviceaccount.com"
    token_server.service_keys[account] = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    key_file = tmp_path / "service-account.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "client_email": account,
                "private_key_id": "1",
                "private_key": key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ).decode(),
                "token_uri": f"{token_server.url}/token",
            }
        )
    )
    config = oauth_settings(
        settings,
        fresh_mailbox,
        token_server,
        provider="google",
        service_account_file=str(key_file),
        token_url="",
    )
    append(fresh_mailbox, [contribution(7)])

    assert pipeline.run_once(config, ledger, send=False).new == 1
    token = LedgerTokenStore(ledger, "google").load(fresh_mailbox.user)
    assert token is not None
    assert (token.refresh_token, token.scopes) == ("", ("https://mail.google.com/",))


def test_google_installed_login_by_browser_on_this_machine(
    settings, ledger: Ledger, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(
        settings, fresh_mailbox, token_server, provider="google", flow="installed"
    )
    shown: list[str] = []
    browsing: list[threading.Thread] = []

    def person(text: str) -> None:
        shown.append(text)
        url = text.rpartition(": ")[2]
        # The person's browser: the token server signs them in and redirects to mailflow.
        get = threading.Thread(
            target=requests.get, args=(url,), kwargs={"verify": str(token_server.ca_file)}
        )
        get.start()
        browsing.append(get)

    [state] = signin.login(config, ledger, person)
    for thread in browsing:
        thread.join(10)

    assert shown[0].startswith(
        "To sign in, open this address in a browser on this machine and sign in as "
        f"{fresh_mailbox.user}: {token_server.url}/authorize?"
    )
    assert state.signed_in
    append(fresh_mailbox, [contribution(8)])
    assert pipeline.run_once(config, ledger, send=False).new == 1


def test_logout_forgets_tokens(
    settings, ledger: Ledger, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(settings, fresh_mailbox, token_server)
    signin.login(config, ledger, lambda text: None)

    assert signin.logout(config, ledger) == [fresh_mailbox.user]
    assert signin.logout(config, ledger) == []
    assert [s.signed_in for s in signin.state(config, ledger)] == [False]


def test_state_without_oauth2_accounts_is_empty(settings, ledger: Ledger) -> None:
    assert signin.state(settings, ledger) == []
    assert dataclasses.replace(settings.imap).auth == "password"
