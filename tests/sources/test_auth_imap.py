"""Reading the mailbox with OAuth2: XOAUTH2 and OAUTHBEARER against Dovecot's oauth2 passdb.

Dovecot asks the session's token server (tests/oauth_server.py) whether each token is active;
mailflow gets its tokens from the same server through msal, google-auth or requests-oauthlib.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from support.mail import append, contribution
from support.oauth_server import Clock, TokenServer
from support.servers import Mailbox
from support.settings import oauth_settings

from mailflow import pipeline
from mailflow.errors import AuthError
from mailflow.ledger import Ledger
from mailflow.ledger.models import InboundMessage, OAuthToken
from mailflow.ledger.tokens import LedgerTokenStore, credentials_for
from mailflow.sources import imap, open_source

pytestmark = pytest.mark.servers


def recorded(ledger: Ledger) -> int:
    with ledger.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(InboundMessage)) or 0)


def logins(mailbox: Mailbox, method: str) -> int:
    log = (mailbox.server.base / "dovecot.log").read_text(errors="replace")
    return log.count(f"Login: user=<{mailbox.user}>, method={method},")


def test_poll_microsoft_app_token_reads_mailbox(
    settings, ledger: Ledger, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(settings, fresh_mailbox, token_server)
    append(fresh_mailbox, [contribution(1), contribution(2)])

    summary = pipeline.run_once(config, ledger, send=False)

    assert (summary.new, recorded(ledger)) == (2, 2)
    with ledger.transaction() as session:
        row = session.get(OAuthToken, fresh_mailbox.user)
        assert row is not None
        assert (row.provider, row.refresh_token, row.scopes) == (
            "microsoft",
            "",
            "https://outlook.office365.com/.default",
        )


def test_poll_prefers_oauthbearer_when_offered(
    settings, ledger: Ledger, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(settings, fresh_mailbox, token_server)

    pipeline.run_once(config, ledger, send=False)

    assert (logins(fresh_mailbox, "OAUTHBEARER"), logins(fresh_mailbox, "XOAUTH2")) == (1, 0)


def test_poll_again_reuses_stored_token(
    settings, ledger: Ledger, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(settings, fresh_mailbox, token_server)
    before = token_server.requests["client_credentials"]

    pipeline.run_once(config, ledger, send=False)
    pipeline.run_once(config, ledger, send=False)

    assert token_server.requests["client_credentials"] - before == 1


def test_poll_token_near_expiry_is_refreshed_before_login(
    settings, ledger: Ledger, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(settings, fresh_mailbox, token_server)
    pipeline.run_once(config, ledger, send=False)
    first = LedgerTokenStore(ledger, "microsoft").load(fresh_mailbox.user)
    assert first is not None
    clock = Clock()
    clock.advance(timedelta(minutes=56))  # 4 minutes left: inside the 5-minute margin
    credentials = credentials_for(config, ledger, "imap", clock=clock)

    pipeline.run_once(config, ledger, send=False, source=open_source(config.imap, credentials))

    second = LedgerTokenStore(ledger, "microsoft").load(fresh_mailbox.user)
    assert second is not None
    assert second.access_token != first.access_token
    assert second.refreshed_at == clock()
    assert logins(fresh_mailbox, "OAUTHBEARER") == 2


def test_poll_token_refused_by_server_is_replaced_once(
    settings, ledger: Ledger, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(settings, fresh_mailbox, token_server)
    pipeline.run_once(config, ledger, send=False)
    token_server.expire_access_tokens(fresh_mailbox.user)  # revoked early: still "valid" here
    append(fresh_mailbox, [contribution(3)])
    before = token_server.requests["client_credentials"]

    summary = pipeline.run_once(config, ledger, send=False)

    assert summary.new == 1
    assert token_server.requests["client_credentials"] - before == 1


def test_poll_xoauth2_only_server_reads_mailbox_and_replaces_a_refused_token(
    settings,
    ledger: Ledger,
    fresh_mailbox: Mailbox,
    token_server: TokenServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server offering XOAUTH2 alone (as Microsoft's and Google's do): Dovecot answers a
    refused token with a challenge and waits for an empty response before its NO."""
    monkeypatch.setattr(imap, "choose", lambda offered: "XOAUTH2")
    config = oauth_settings(settings, fresh_mailbox, token_server)
    append(fresh_mailbox, [contribution(4)])
    pipeline.run_once(config, ledger, send=False)
    token_server.expire_access_tokens(fresh_mailbox.user)
    append(fresh_mailbox, [contribution(5)])

    summary = pipeline.run_once(config, ledger, send=False)

    assert (summary.new, recorded(ledger)) == (1, 2)
    assert (logins(fresh_mailbox, "XOAUTH2"), logins(fresh_mailbox, "OAUTHBEARER")) == (2, 0)


def test_poll_wrong_client_secret_says_what_to_check(
    settings, ledger: Ledger, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(settings, fresh_mailbox, token_server)
    token_server.clients[config.oauth2.client_id] = "another-secret"

    with pytest.raises(AuthError) as caught:
        pipeline.run_once(config, ledger, send=False)

    assert caught.value.signin_needed
    assert str(caught.value) == (
        "Microsoft refused mailflow's app registration (invalid_client: AADSTS7000215: Invalid "
        "client secret provided.); check oauth2.client_id, the client secret "
        "(MAILFLOW_OAUTH2_CLIENT_SECRET or oauth2.secret_command) or the service account key, "
        "and the permissions granted to the app"
    )
