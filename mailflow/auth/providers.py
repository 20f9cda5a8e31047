"""Which provider library gets the tokens, chosen from ``[oauth2]``.

`provider_for` returns the Microsoft (msal), Google (google-auth) or generic (requests-oauthlib)
provider for the settings, each given a verifying `requests` session with a timeout
(`mailflow.auth.session`). Only the chosen provider's library is imported, and `requests` only
when a provider is made: a command that reads stored tokens alone never loads it.
"""

from __future__ import annotations

from mailflow.auth.base import SignInProvider, can_sign_in
from mailflow.auth.tokens import Provider
from mailflow.config import OAuth2Settings

__all__ = ["SignInProvider", "can_sign_in", "provider_for"]


def provider_for(settings: OAuth2Settings, account: str) -> Provider:
    """The provider ``[oauth2]`` describes, for the mailbox ``account``."""
    # Each provider module imports its library (msal pulls in cryptography): only the one used.
    from mailflow.auth.session import TimedSession  # requests: loaded when a provider is made

    session = TimedSession(settings.ca_file, settings.timeout_s)
    if settings.provider == "microsoft":
        from mailflow.auth.microsoft import (
            MicrosoftProvider,
        )  # leaf; loaded for the provider in use

        return MicrosoftProvider(settings, account, session)
    if settings.provider == "google":
        from mailflow.auth.google import GoogleProvider  # leaf; loaded for the provider in use

        return GoogleProvider(settings, account, session)
    from mailflow.auth.generic import GenericProvider  # leaf; loaded for the provider in use

    return GenericProvider(settings, account, session)
