"""Microsoft 365 (Exchange Online) tokens through msal, Microsoft's own library.

Two flows. ``app``: the app signs in as itself with its client secret (client credentials) and
Exchange lets it open the mailboxes an administrator granted it (IMAP.AccessAsApp,
SMTP.SendAsApp, scope ``https://outlook.office365.com/.default``); no refresh token, a new access
token is simply asked for. ``device``: a person signs in once with a device code
(IMAP.AccessAsUser.All, SMTP.Send, offline_access) and mailflow keeps the refresh token, which
Microsoft rotates on every use.

msal is given mailflow's requests session and no instance discovery (which would ask
login.microsoftonline.com about any other authority), so ``oauth2.authority`` may also name a
sovereign cloud or a test server. A new msal application is made for every token: msal's own
cache would otherwise answer a forced refresh with the token the server just refused, and the
refresh tokens live in mailflow's store (`acquire_token_by_refresh_token`), not in msal's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import msal
import requests

from mailflow.auth.base import refused, require, said_briefly, unreachable
from mailflow.auth.session import TimedSession
from mailflow.auth.tokens import Grant
from mailflow.config import OAuth2Settings
from mailflow.errors import AuthError

log = logging.getLogger(__name__)

APP_SCOPES = ("https://outlook.office365.com/.default",)
DELEGATED_SCOPES = (
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
)
#: Scopes msal adds by itself and refuses to be given.
_RESERVED = frozenset({"offline_access", "openid", "profile"})
LABEL = "Microsoft"


class MicrosoftProvider:
    name = "microsoft"

    def __init__(self, settings: OAuth2Settings, account: str, session: TimedSession) -> None:
        self.settings = settings
        self.account = account
        self.session = session
        self.needs_signin = settings.flow == "device"
        default = DELEGATED_SCOPES if self.needs_signin else APP_SCOPES
        self.scopes = tuple(s for s in settings.scopes or default if s not in _RESERVED)
        self.authority = settings.authority
        if not self.authority:
            # A person may sign in from any work account; an app must name its directory.
            tenant = settings.tenant or (
                "organizations" if self.needs_signin else require(settings, "tenant")
            )
            self.authority = f"https://login.microsoftonline.com/{tenant}"

    def close(self) -> None:
        self.session.close()

    # -- app flow ----------------------------------------------------------------------------
    def acquire(self) -> Grant:
        secret = self.settings.client_secret
        if not secret:
            raise AuthError(
                "Microsoft's app sign-in needs the client secret: set "
                "MAILFLOW_OAUTH2_CLIENT_SECRET or oauth2.secret_command",
                signin_needed=True,
            )
        app = self._app(
            lambda common: msal.ConfidentialClientApplication(
                require(self.settings, "client_id"), client_credential=secret.reveal(), **common
            )
        )
        result = self._call(lambda: app.acquire_token_for_client(scopes=list(self.scopes)))
        return self._grant(result, app=True)

    # -- delegated flow ----------------------------------------------------------------------
    def refresh(self, refresh_token: str) -> Grant:
        app = self._public()
        result = self._call(
            lambda: app.acquire_token_by_refresh_token(refresh_token, scopes=list(self.scopes))
        )
        return self._grant(result, app=False)

    def sign_in(self, show: Callable[[str], None]) -> Grant:
        app = self._public()
        flow = self._call(lambda: app.initiate_device_flow(scopes=list(self.scopes)))
        if "user_code" not in flow:
            raise self._refused(flow, app=False)
        show(
            f"To sign in, open {flow['verification_uri']} in a browser and enter the code "
            f"{flow['user_code']}. Sign in as {self.account}."
        )
        result = self._call(lambda: app.acquire_token_by_device_flow(flow))
        return self._grant(result, app=False)

    # -- msal plumbing -----------------------------------------------------------------------
    def _public(self) -> Any:
        return self._app(
            lambda common: msal.PublicClientApplication(
                require(self.settings, "client_id"), **common
            )
        )

    def _app(self, make: Callable[[dict[str, Any]], Any]) -> Any:
        common = {
            "authority": self.authority,
            "http_client": self.session,
            "instance_discovery": False,
            "timeout": self.settings.timeout_s,
        }
        # msal reads the authority's OpenID configuration as it is made.
        return self._call(lambda: make(common))

    def _call(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except requests.RequestException as exc:
            raise unreachable(LABEL, exc) from None
        except ValueError as exc:  # msal: the authority's discovery document was refused
            raise AuthError(
                f"{LABEL} sign-in: {said_briefly(str(exc))} (check oauth2.tenant "
                "and oauth2.authority)",
                signin_needed=True,
            ) from None

    def _grant(self, result: dict[str, Any], *, app: bool) -> Grant:
        if "access_token" not in result:
            raise self._refused(result, app=app)
        scope = result.get("scope")
        return Grant(
            access_token=str(result["access_token"]),
            expires_in=float(result.get("expires_in", 3600)),
            refresh_token=str(result.get("refresh_token") or ""),
            scopes=tuple(scope.split()) if isinstance(scope, str) else self.scopes,
        )

    def _refused(self, result: dict[str, Any], *, app: bool) -> AuthError:
        error = str(result.get("error") or "no access token")
        if error == "expired_token" or error == "authorization_declined":
            return AuthError(
                "the sign-in was not completed in time or was declined; run "
                "`mailflow auth login` again",
                signin_needed=True,
            )
        return refused(
            LABEL, self.account, error, str(result.get("error_description") or ""), app=app
        )
