"""`Credentials` and the providers' settings: what is refreshed when, and the messages."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from support.oauth_server import Clock, TokenServer
from support.servers import Mailbox
from support.settings import oauth_settings

from mailflow import signin
from mailflow.auth import Token, provider_for
from mailflow.auth.tokens import Credentials
from mailflow.config import OAuth2Settings, Settings
from mailflow.errors import ConfigError
from mailflow.ledger import Ledger
from mailflow.ledger.tokens import LedgerTokenStore


def test_token_repr_hides_both_tokens() -> None:
    moment = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    token = Token("wsis@a.test", "google", "ya29.secret", moment, "1//refresh", ("s",), moment)
    assert "ya29.secret" not in repr(token)
    assert "1//refresh" not in repr(token)


@pytest.mark.parametrize(
    ("oauth2", "message"),
    [
        (
            OAuth2Settings(provider="microsoft", flow="app"),
            "oauth2.tenant: must be set for provider microsoft",
        ),
        (
            OAuth2Settings(provider="generic", client_id="x"),
            "oauth2.token_url: must be set for provider generic",
        ),
        (
            OAuth2Settings(provider="generic", token_url="https://t"),
            "oauth2.client_id: must be set for provider generic",
        ),
    ],
)
def test_provider_without_a_needed_setting_names_it(oauth2: OAuth2Settings, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        provider_for(oauth2, "wsis@association.test")
    assert str(caught.value) == message


class _OtherProcessRefreshesFirst(LedgerTokenStore):
    """The ledger's store, where another process refreshes right after our first read."""

    def __init__(self, ledger: Ledger, other: Credentials) -> None:
        super().__init__(ledger, "microsoft")
        self.other: Credentials | None = other

    def load(self, account: str) -> Token | None:
        token = super().load(account)
        if self.other is not None:
            other, self.other = self.other, None
            other.token()
        return token


@pytest.mark.servers
def test_refresh_token_rotated_by_another_process_is_picked_up(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(settings, fresh_mailbox, token_server, flow="device")
    signin.login(config, ledger, lambda _text: token_server.approve(fresh_mailbox.user))
    clock = Clock()
    clock.advance(timedelta(hours=2))
    provider = provider_for(config.oauth2, fresh_mailbox.user)
    other = Credentials(
        fresh_mailbox.user, provider, LedgerTokenStore(ledger, "microsoft"), clock=clock
    )
    ours = Credentials(
        fresh_mailbox.user, provider, _OtherProcessRefreshesFirst(ledger, other), clock=clock
    )

    ours.token()  # read the old refresh token; the other process rotated it meanwhile

    latest = LedgerTokenStore(ledger, "microsoft").load(fresh_mailbox.user)
    assert latest is not None
    assert token_server.refresh_tokens_of(fresh_mailbox.user) == [latest.refresh_token]


@pytest.mark.servers
def test_fresh_token_is_asked_for_even_when_the_stored_one_lives(
    settings: Settings, ledger: Ledger, fresh_mailbox: Mailbox, token_server: TokenServer
) -> None:
    config = oauth_settings(settings, fresh_mailbox, token_server)
    config = dataclasses.replace(config, oauth2=dataclasses.replace(config.oauth2, scopes=()))
    provider = provider_for(config.oauth2, fresh_mailbox.user)
    credentials = Credentials(fresh_mailbox.user, provider, LedgerTokenStore(ledger, "microsoft"))

    first = credentials.token()
    assert credentials.token() == first
    assert credentials.token(fresh=True) != first
