"""Signing the mailbox in and out (`mailflow auth login|status|logout`), and its state.

The accounts concerned are the IMAP and SMTP users whose ``auth`` is ``oauth2`` (usually one
mailbox for both). `login` runs the provider's sign-in for a person (device code, or the
browser on this machine) and stores the tokens; with an app flow there is nobody to sign in,
so it fetches a token at once, which proves the app registration and the secret work.
`state` says for each account whether it is signed in, with which scopes, when its access token
expires and when it was last refreshed: never a token itself. Tokens are kept and refreshed by
`mailflow.auth` in the ledger (`mailflow.ledger.tokens`); this module adds no rule of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from mailflow.auth import Clock, provider_for, utc_now
from mailflow.auth.providers import can_sign_in
from mailflow.auth.tokens import token_from
from mailflow.config import Settings
from mailflow.errors import ConfigError
from mailflow.ledger import Ledger
from mailflow.ledger.tokens import LedgerTokenStore, credentials_for


@dataclass(frozen=True)
class SignInState:
    account: str
    provider: str
    flow: str
    signed_in: bool
    scopes: tuple[str, ...]
    expires_at: datetime | None
    refreshed_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        return {
            "account": self.account,
            "provider": self.provider,
            "flow": self.flow,
            "signed_in": self.signed_in,
            "scopes": list(self.scopes),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "refreshed_at": self.refreshed_at.isoformat() if self.refreshed_at else None,
        }


def accounts(settings: Settings) -> list[str]:
    """The mailbox accounts that sign in with OAuth2, IMAP's first."""
    found = [s.user for s in (settings.imap, settings.smtp) if s.auth == "oauth2" and s.user]
    if settings.imap.maildir and settings.imap.auth == "oauth2":
        found.remove(settings.imap.user)  # a local Maildir needs no sign-in
    return list(dict.fromkeys(found))


def _required(settings: Settings) -> list[str]:
    found = accounts(settings)
    if not found:
        raise ConfigError(
            'neither imap.auth nor smtp.auth is "oauth2"; there is nothing to sign in',
            key="imap.auth",
        )
    return found


def login(
    settings: Settings,
    ledger: Ledger,
    show: Callable[[str], None],
    *,
    clock: Clock = utc_now,
) -> list[SignInState]:
    """Sign every OAuth2 account in and store its tokens; returns their new state."""
    for account in _required(settings):
        provider = provider_for(settings.oauth2, account)
        store = LedgerTokenStore(ledger, provider.name)
        if can_sign_in(provider):
            try:
                grant = provider.sign_in(show)
            finally:
                provider.close()
            # Commit point: the person's refresh token is stored before anything else happens.
            store.save(
                token_from(
                    grant,
                    account=account,
                    provider=provider,
                    now=clock(),
                    previous=store.load(account),
                )
            )
        else:
            credentials = credentials_for(
                settings, ledger, _section(settings, account), clock=clock
            )
            assert credentials is not None
            credentials.token(fresh=True)
    return state(settings, ledger)


def state(settings: Settings, ledger: Ledger) -> list[SignInState]:
    """Each OAuth2 account's sign-in, as far as the ledger knows (nothing is asked online)."""
    result = []
    for account in accounts(settings):
        oauth2 = settings.oauth2
        token = LedgerTokenStore(ledger, oauth2.provider).load(account)
        app = oauth2.flow == "app"
        result.append(
            SignInState(
                account=account,
                provider=oauth2.provider,
                flow=oauth2.flow,
                signed_in=token is not None and (app or bool(token.refresh_token)),
                scopes=token.scopes if token else (),
                expires_at=token.expires_at if token else None,
                refreshed_at=token.refreshed_at if token else None,
            )
        )
    return result


def logout(settings: Settings, ledger: Ledger) -> list[str]:
    """Forget the tokens of every OAuth2 account; returns the accounts that had some."""
    store = LedgerTokenStore(ledger, settings.oauth2.provider)
    return [account for account in _required(settings) if store.delete(account)]


def _section(settings: Settings, account: str) -> Literal["imap", "smtp"]:
    return "imap" if settings.imap.auth == "oauth2" and settings.imap.user == account else "smtp"
