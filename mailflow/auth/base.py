"""What the providers share: the errors a coordinator reads and the sign-in protocol.

All three providers (`mailflow.auth.microsoft`, `.google`, `.generic`; chosen by
`mailflow.auth.providers.provider_for`) reach their token endpoints through the HTTP session of
`mailflow.auth.session`. `refused` turns a token endpoint's error into the `AuthError` a
coordinator reads: what happened, in plain words, and the command or setting that fixes it. The
providers never log or print a token or a secret, and they keep no tokens themselves:
`mailflow.auth.tokens` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeGuard

from mailflow.auth.tokens import Grant, Provider
from mailflow.config import OAuth2Settings
from mailflow.errors import AuthError, ConfigError
from mailflow.redact import redact

#: Errors of a token endpoint after which only a person can help (RFC 6749 §5.2).
SIGNIN_ERRORS = frozenset({"invalid_grant", "interaction_required", "consent_required"})
APP_ERRORS = frozenset({"invalid_client", "unauthorized_client", "invalid_scope"})


def said_briefly(text: str) -> str:
    """The first line of a server's ``text``, secrets removed, then cut to 200 characters (in
    that order: a cut secret would no longer be recognised)."""
    lines = redact(text).strip().splitlines()
    return lines[0][:200] if lines else ""


def refused(label: str, account: str, error: str, description: str, *, app: bool) -> AuthError:
    """The `AuthError` for a token endpoint's ``error`` (description shortened, never a token)."""
    error = said_briefly(error)
    said = f"{error}: {said_briefly(description)}" if description.strip() else error
    if app or error in APP_ERRORS:
        # An app flow has no person's grant to lose: whatever was refused is the registration.
        return AuthError(
            f"{label} refused mailflow's app registration ({said}); check oauth2.client_id, "
            "the client secret (MAILFLOW_OAUTH2_CLIENT_SECRET or oauth2.secret_command) or "
            "the service account key, and the permissions granted to the app",
            signin_needed=True,
        )
    if error in SIGNIN_ERRORS:
        return AuthError(
            f"the sign-in to {account} at {label} is no longer valid (it was revoked, expired "
            f"or the password changed; {label} says {said}); a person must sign in again: "
            "run `mailflow auth login`",
            signin_needed=True,
        )
    return AuthError(f"{label} did not give a token for {account} ({said})")


def unreachable(label: str, exc: BaseException) -> AuthError:
    """A network failure: retrying later may help."""
    return AuthError(f"cannot reach {label}'s token service: {exc.__class__.__name__}")


def require(settings: OAuth2Settings, key: str) -> str:
    value = getattr(settings, key)
    if not value:
        raise ConfigError(f"must be set for provider {settings.provider}", key=f"oauth2.{key}")
    return str(value)


class SignInProvider(Provider, Protocol):
    """A provider whose tokens come from a person's sign-in, made by `mailflow auth login`."""

    def sign_in(self, show: Callable[[str], None]) -> Grant:
        """Show the person where to sign in (``show`` prints), wait until they did, return the
        grant; raises `AuthError` when they declined or the code expired."""
        ...


def can_sign_in(provider: Provider) -> TypeGuard[SignInProvider]:
    """Whether a person signs in to this provider (device code or browser), not the app."""
    return provider.needs_signin and callable(getattr(provider, "sign_in", None))
