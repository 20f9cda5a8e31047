"""OAuth2 sign-in for the mailbox: tokens from Microsoft, Google or any OAuth2 server.

    providers.py   which library gets tokens (`provider_for`)
    base.py        what they share: the errors a coordinator reads, the sign-in protocol
    session.py     the HTTP session to the token endpoints (requests), secrets registered
    microsoft.py   msal: app (client credentials) and device-code sign-in
    google.py      google-auth: service account with delegation, installed-app sign-in
    generic.py     requests-oauthlib: client credentials and device-code sign-in
    tokens.py      `Credentials`: a stored token while it lives, else a refreshed one, saved
    sasl.py        the XOAUTH2 / OAUTHBEARER strings for IMAP and SMTP

The package sits beside `mailflow.sources`: it knows the settings, not the ledger. Tokens are
kept by a `TokenStore` its caller hands in (the ledger's, `mailflow.ledger.tokens`); the IMAP
source and the SMTP sink take a `Credentials` and log in with it.
"""

from __future__ import annotations

from mailflow.auth.providers import SignInProvider, can_sign_in, provider_for
from mailflow.auth.sasl import Responder, choose, oauthbearer, xoauth2
from mailflow.auth.tokens import Clock, Credentials, Grant, Provider, Token, TokenStore, utc_now

__all__ = [
    "Clock",
    "Credentials",
    "Grant",
    "Provider",
    "Responder",
    "SignInProvider",
    "Token",
    "TokenStore",
    "can_sign_in",
    "choose",
    "oauthbearer",
    "provider_for",
    "utc_now",
    "xoauth2",
]
