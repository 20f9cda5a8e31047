"""Access tokens for one mailbox account: kept in a store, refreshed before they expire.

`Credentials.token()` is what the IMAP source and the SMTP sink call before they log in: it
returns a stored access token while it has more than the refresh margin to live, and otherwise
asks the provider for a new one (with the refresh token a person's sign-in left, or with the
app's own credentials) and **saves the result before returning it**, including a rotated
refresh token: a provider that rotates may refuse the old one from then on, and a new refresh
token that was used but not saved is how sign-in dies weeks later. `token(fresh=True)` skips
the stored token: the caller uses it once after a server refused a login with a token that
looked valid (revoked early, or a clock that is off).

Several processes (``serve``, a ``poll`` from cron, ``outbox flush``) may share one store. When
a refresh is refused as ``invalid_grant`` and the store meanwhile holds another refresh token,
another process rotated it first: the refresh is tried once more with that one.

This module knows nothing about HTTP or a particular provider (see `mailflow.auth.providers`)
nor where tokens are kept (the ledger's `mailflow.ledger.tokens`); the clock is injected so a
test can live through a week of hourly tokens in seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from mailflow.errors import AuthError
from mailflow.redact import register

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Token:
    """What the store keeps for one account. Its repr hides both tokens; making one (loaded
    from the store or built from a grant) registers both with `mailflow.redact`."""

    account: str  # the mailbox the token opens (the SASL user)
    provider: str
    access_token: str
    expires_at: datetime
    refresh_token: str  # "" for app flows, which need none
    scopes: tuple[str, ...]
    refreshed_at: datetime

    def __post_init__(self) -> None:
        keep_secret(self.access_token, self.refresh_token)

    def __repr__(self) -> str:
        return (
            f"Token(account={self.account!r}, provider={self.provider!r}, access_token='***', "
            f"expires_at={self.expires_at.isoformat()}, "
            f"refresh_token={'***' if self.refresh_token else ''!r}, scopes={self.scopes!r}, "
            f"refreshed_at={self.refreshed_at.isoformat()})"
        )


@dataclass(frozen=True)
class Grant:
    """A token endpoint's answer: a new access token, perhaps a new refresh token; both are
    registered with `mailflow.redact` as the answer is read, before anything can show them."""

    access_token: str
    expires_in: float  # seconds
    refresh_token: str = ""  # "" when the provider sent none: the old one stays valid
    scopes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        keep_secret(self.access_token, self.refresh_token)

    def __repr__(self) -> str:
        return f"Grant(access_token='***', expires_in={self.expires_in!r}, scopes={self.scopes!r})"


def keep_secret(access_token: str, refresh_token: str = "") -> None:
    """Register the tokens with `mailflow.redact`: a server or token endpoint that echoes one
    gets it into no error, log line or ledger row. Each kind keeps its latest few."""
    register(access_token, slot="oauth2 access_token")
    register(refresh_token, slot="oauth2 refresh_token")


class Provider(Protocol):
    """One way of getting tokens: Microsoft (msal), Google (google-auth) or generic."""

    name: str
    #: True when tokens come from a person's sign-in (a refresh token), False for app flows.
    needs_signin: bool
    scopes: tuple[str, ...]

    def acquire(self) -> Grant:
        """A new access token with the app's own credentials (app flows only)."""
        ...

    def refresh(self, refresh_token: str) -> Grant:
        """A new access token (and perhaps a new refresh token) from a refresh token."""
        ...

    def close(self) -> None:
        """Close the connections to the token endpoint (the next call opens new ones)."""
        ...


class TokenStore(Protocol):
    def load(self, account: str) -> Token | None: ...

    def save(self, token: Token) -> None: ...

    def delete(self, account: str) -> bool: ...


def token_from(
    grant: Grant, *, account: str, provider: Provider, now: datetime, previous: Token | None
) -> Token:
    """The token to store after ``grant``: a refresh token the grant lacks is kept from before."""
    refresh_token = grant.refresh_token or (previous.refresh_token if previous else "")
    return Token(
        account=account,
        provider=provider.name,
        access_token=grant.access_token,
        expires_at=now + timedelta(seconds=max(grant.expires_in, 0)),
        refresh_token=refresh_token,
        scopes=grant.scopes or (previous.scopes if previous else provider.scopes),
        refreshed_at=now,
    )


class Credentials:
    """Valid access tokens for ``account``, refreshed through ``provider``, kept in ``store``."""

    def __init__(
        self,
        account: str,
        provider: Provider,
        store: TokenStore,
        *,
        margin: timedelta = timedelta(minutes=5),
        clock: Clock = utc_now,
    ) -> None:
        self.account = account
        self.provider = provider
        self.store = store
        self.margin = margin
        self.clock = clock

    def token(self, *, fresh: bool = False) -> str:
        """An access token with more than the margin to live; a new one when ``fresh``."""
        stored = self.store.load(self.account)
        now = self.clock()
        if stored is not None and not fresh and stored.expires_at - self.margin > now:
            return stored.access_token
        return self._renew(stored, now).access_token

    def _renew(self, stored: Token | None, now: datetime) -> Token:
        try:
            grant = self._grant(stored)
        finally:
            # An hour passes before the next token: no connection is worth keeping open.
            self.provider.close()
        token = token_from(
            grant, account=self.account, provider=self.provider, now=now, previous=stored
        )
        # Saved before anyone uses it: if the provider rotated the refresh token, the old one
        # may be dead already, and this row is the only place the new one lives.
        self.store.save(token)
        rotated = stored is not None and grant.refresh_token not in ("", stored.refresh_token)
        log.info(
            "new access token for %s, valid until %s%s",
            self.account,
            token.expires_at.isoformat(timespec="seconds"),
            " (refresh token rotated and saved)" if rotated else "",
        )
        return token

    def _grant(self, stored: Token | None) -> Grant:
        if not self.provider.needs_signin:
            return self.provider.acquire()
        if stored is None or not stored.refresh_token:
            raise AuthError(
                f"nobody has signed in to {self.account} yet: run `mailflow auth login`",
                signin_needed=True,
            )
        return self._refresh(stored)

    def _refresh(self, stored: Token) -> Grant:
        try:
            return self.provider.refresh(stored.refresh_token)
        except AuthError as exc:
            if not exc.signin_needed:
                raise
            # Another process may have rotated the refresh token since we read it.
            latest = self.store.load(self.account)
            if latest is None or latest.refresh_token in ("", stored.refresh_token):
                raise
            log.info("refresh token of %s was rotated by another process; using it", self.account)
            return self.provider.refresh(latest.refresh_token)
