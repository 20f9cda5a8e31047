"""The ledger as `mailflow.auth`'s token store: one ``oauth_tokens`` row per mailbox account.

Every save commits at once, in its own transaction: a refresh token the provider rotated must
be on disk before the new access token is used (see `mailflow.auth.tokens`). A row written by
another provider than the configured one is not handed out: after a change of ``oauth2.provider``
the next login starts from a new sign-in instead of sending one provider's token to another.
Tokens are stored as the providers gave them; the ledger file (or database) is what protects
them, as it protects the members' mail.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from sqlalchemy import delete

from mailflow.auth import Clock, Credentials, provider_for, utc_now
from mailflow.auth.tokens import Token
from mailflow.config import Settings
from mailflow.ledger.engine import Ledger
from mailflow.ledger.models import OAuthToken


class LedgerTokenStore:
    """`mailflow.auth.TokenStore` over the ledger, for the tokens of ``provider``."""

    def __init__(self, ledger: Ledger, provider: str) -> None:
        self.ledger = ledger
        self.provider = provider

    def load(self, account: str) -> Token | None:
        with self.ledger.transaction() as session:
            row = session.get(OAuthToken, account)
            if row is None or row.provider != self.provider:
                return None
            return _token(row)

    def save(self, token: Token) -> None:
        with self.ledger.transaction() as session:
            row = session.get(OAuthToken, token.account) or OAuthToken(account=token.account)
            row.provider = token.provider
            row.access_token = token.access_token
            row.expires_at = token.expires_at
            row.refresh_token = token.refresh_token
            row.scopes = " ".join(token.scopes)
            row.refreshed_at = token.refreshed_at
            session.add(row)
            # Commit point: the rotated refresh token is durable before its access token is used.

    def delete(self, account: str) -> bool:
        with self.ledger.transaction() as session:
            done = session.execute(delete(OAuthToken).where(OAuthToken.account == account))
            return bool(getattr(done, "rowcount", 0))


def credentials_for(
    settings: Settings,
    ledger: Ledger,
    section: Literal["imap", "smtp"],
    *,
    clock: Clock = utc_now,
) -> Credentials | None:
    """The credentials of the ``imap`` or ``smtp`` account when it signs in with oauth2."""
    account = settings.imap if section == "imap" else settings.smtp
    if account.auth != "oauth2":
        return None
    provider = provider_for(settings.oauth2, account.user)
    return Credentials(
        account.user,
        provider,
        LedgerTokenStore(ledger, provider.name),
        margin=timedelta(seconds=settings.oauth2.refresh_margin_s),
        clock=clock,
    )


def _token(row: OAuthToken) -> Token:
    return Token(
        account=row.account,
        provider=row.provider,
        access_token=row.access_token,
        expires_at=row.expires_at,
        refresh_token=row.refresh_token,
        scopes=tuple(row.scopes.split()),
        refreshed_at=row.refreshed_at,
    )
