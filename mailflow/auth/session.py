"""The HTTP session every provider reaches its token endpoint through, secrets registered.

`TimedSession` verifies certificates (with ``oauth2.ca_file`` added for a private server) and
gives every request a timeout. Every session a provider talks through is `watch`-ed: each secret
of a token request (client secret, refresh token, a service account's signed assertion, device or
authorization code) and of its answer (access, refresh and ID tokens, device code) is registered
with `mailflow.redact` when the answer arrives, before the library reads it, so an error body
that quotes one (as some token endpoints and proxies do) is shown as ``***``. Whatever the
libraries do inside, the wire is where every such secret passes.

Apart from `mailflow.auth.base` so that what only reads stored tokens (an outbox flush, a poll)
does not import `requests` (0.06-0.08 s at every start); a provider imports it when it is used.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import requests

from mailflow.redact import register

__all__ = ["GIVEN_SECRETS", "SENT_SECRETS", "TimedSession", "watch"]

#: Form fields of a token request that carry a secret (RFC 6749, 7523, 7636, 8628).
SENT_SECRETS = frozenset(
    {
        "client_secret",
        "client_assertion",
        "assertion",
        "refresh_token",
        "code",
        "code_verifier",
        "device_code",
        "password",
    }
)
#: Fields of a token endpoint's JSON answer that carry one.
GIVEN_SECRETS = frozenset({"access_token", "refresh_token", "id_token", "device_code"})


class TimedSession(requests.Session):
    """A requests session that verifies certificates and gives every request a timeout."""

    def __init__(self, ca_file: str, timeout_s: float) -> None:
        super().__init__()
        if ca_file:
            self.verify = ca_file
        self.timeout_s = timeout_s
        watch(self)

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout_s)
        # Given per request, because requests lets REQUESTS_CA_BUNDLE override a session's own.
        kwargs.setdefault("verify", self.verify)
        return super().request(method, url, *args, **kwargs)


def watch(session: requests.Session) -> requests.Session:
    """``session``, registering with `mailflow.redact` every secret its token requests send
    and their answers carry, as each answer arrives."""
    session.hooks["response"].append(_register_exchanged)
    return session


def _register_exchanged(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    body = response.request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        for key, value in urllib.parse.parse_qsl(body):
            if key in SENT_SECRETS:
                register(value, slot=f"oauth2 {key}")
    if "json" not in response.headers.get("Content-Type", ""):
        return
    try:
        answer = response.json()
    except ValueError:
        return
    if isinstance(answer, dict):
        for key in GIVEN_SECRETS:
            given = answer.get(key)
            if isinstance(given, str):
                register(given, slot=f"oauth2 {key}")
