"""Tokens from any standard OAuth2 server, through requests-oauthlib.

``app``: client credentials (RFC 6749 §4.4) at ``oauth2.token_url``. ``device``: the device
authorization grant (RFC 8628): ``oauth2.device_url`` gives a user code, the person enters it at
the server's page, and the token endpoint is polled until they did; then the refresh token is
kept and used (RFC 6749 §6), rotated or not as the server likes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests
from oauthlib.oauth2 import BackendApplicationClient, DeviceClient, OAuth2Error
from requests_oauthlib import OAuth2Session

from mailflow.auth.base import refused, require, unreachable
from mailflow.auth.session import TimedSession, watch
from mailflow.auth.tokens import Grant
from mailflow.config import OAuth2Settings
from mailflow.errors import AuthError

LABEL = "the OAuth2 server"
_PENDING = frozenset({"authorization_pending", "slow_down"})


class GenericProvider:
    name = "generic"

    def __init__(
        self,
        settings: OAuth2Settings,
        account: str,
        session: TimedSession,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.account = account
        self.session = session
        self.sleep = sleep
        self.needs_signin = settings.flow == "device"
        self.scopes = settings.scopes
        self.token_url = require(settings, "token_url")
        self.client_id = require(settings, "client_id")

    def close(self) -> None:
        self.session.close()

    def acquire(self) -> Grant:
        with self._session(BackendApplicationClient(client_id=self.client_id)) as oauth:
            return self._fetch(
                lambda: oauth.fetch_token(
                    self.token_url,
                    client_id=self.client_id,
                    client_secret=self.settings.client_secret.reveal(),
                    include_client_id=True,
                    scope=list(self.scopes) or None,
                    timeout=self.settings.timeout_s,
                    verify=self.session.verify,
                ),
                app=True,
            )

    def refresh(self, refresh_token: str) -> Grant:
        extra = {"client_id": self.client_id}
        secret = self.settings.client_secret.reveal()
        if secret:
            extra["client_secret"] = secret
        with self._session(None) as oauth:
            return self._fetch(
                lambda: oauth.refresh_token(
                    self.token_url,
                    refresh_token=refresh_token,
                    timeout=self.settings.timeout_s,
                    verify=self.session.verify,
                    **extra,
                ),
                app=False,
            )

    def sign_in(self, show: Callable[[str], None]) -> Grant:
        device_url = require(self.settings, "device_url")
        try:
            answer = self.session.post(
                device_url, data={"client_id": self.client_id, "scope": " ".join(self.scopes)}
            )
            flow: dict[str, Any] = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise unreachable(LABEL, exc) from None
        if "device_code" not in flow:
            raise refused(
                LABEL,
                self.account,
                str(flow.get("error", answer.status_code)),
                str(flow.get("error_description", "")),
                app=False,
            )
        uri = flow.get("verification_uri_complete") or flow["verification_uri"]
        show(
            f"To sign in, open {uri} in a browser and enter the code {flow['user_code']}. "
            f"Sign in as {self.account}."
        )
        with self._session(DeviceClient(client_id=self.client_id)) as oauth:
            return self._poll(oauth, flow)

    def _poll(self, oauth: OAuth2Session, flow: dict[str, Any]) -> Grant:
        interval = float(flow.get("interval", 5))
        deadline = time.monotonic() + float(flow.get("expires_in", 600))
        while time.monotonic() < deadline:
            try:
                token = oauth.fetch_token(
                    self.token_url,
                    device_code=flow["device_code"],
                    include_client_id=True,
                    client_secret=self.settings.client_secret.reveal() or None,
                    timeout=self.settings.timeout_s,
                    verify=self.session.verify,
                )
            except OAuth2Error as exc:
                if exc.error not in _PENDING:
                    raise self._refused(exc, app=False) from None
                interval += 5 if exc.error == "slow_down" else 0
                self.sleep(interval)
                continue
            except requests.RequestException as exc:
                raise unreachable(LABEL, exc) from None
            return self._grant(token)
        raise AuthError(
            "the sign-in was not completed in time; run `mailflow auth login` again",
            signin_needed=True,
        )

    def _session(self, client: Any) -> OAuth2Session:
        session = OAuth2Session(client_id=self.client_id, client=client, scope=list(self.scopes))
        watch(session)
        return session

    def _fetch(self, action: Callable[[], Any], *, app: bool) -> Grant:
        try:
            return self._grant(action())
        except OAuth2Error as exc:
            raise self._refused(exc, app=app) from None
        except requests.RequestException as exc:
            raise unreachable(LABEL, exc) from None

    def _refused(self, exc: OAuth2Error, *, app: bool) -> AuthError:
        return refused(LABEL, self.account, str(exc.error), str(exc.description or ""), app=app)

    def _grant(self, token: dict[str, Any]) -> Grant:
        scope = token.get("scope")
        scopes = tuple(scope.split()) if isinstance(scope, str) else tuple(scope or self.scopes)
        return Grant(
            access_token=str(token["access_token"]),
            expires_in=float(token.get("expires_in", 3600)),
            refresh_token=str(token.get("refresh_token") or ""),
            scopes=scopes,
        )
