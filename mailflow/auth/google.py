"""Google Workspace and Gmail tokens through google-auth, Google's own library.

``app``: a service account with domain-wide delegation signs a JWT for the mailbox user
(``with_subject``) and exchanges it at the token endpoint; no refresh token. ``installed``: a
person signs in once in a browser on this machine (google-auth-oauthlib's installed-app flow
with a loopback redirect; Google grants ``https://mail.google.com/`` neither to the device flow
nor to app passwords of Workspace accounts), and mailflow keeps the refresh token. The token
endpoint is the one in the service account's key, or ``oauth2.token_url`` when set.

google-auth computes expiry with its own clock; the grant carries the lifetime in seconds, so
mailflow's clock decides when to refresh.
"""

from __future__ import annotations

import json
import webbrowser
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import google.auth.exceptions
import google.auth.transport.requests
from google.oauth2 import credentials as user_credentials
from google.oauth2 import service_account

from mailflow.auth.base import refused, require, unreachable
from mailflow.auth.session import TimedSession, watch
from mailflow.auth.tokens import Grant
from mailflow.config import OAuth2Settings
from mailflow.errors import AuthError, ConfigError
from mailflow.redact import register

SCOPES = ("https://mail.google.com/",)
TOKEN_URL = "https://oauth2.googleapis.com/token"
AUTH_URL = "https://accounts.google.com/o/oauth2/auth"
LABEL = "Google"
_SHOW_BROWSER = "mailflow-show-address"


class _Show(webbrowser.BaseBrowser):
    """A `webbrowser` controller that shows the sign-in address instead of opening it."""

    def __init__(self, show: Callable[[str], None], account: str) -> None:
        super().__init__(_SHOW_BROWSER)
        self._show = show
        self._account = account

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self._show(
            f"To sign in, open this address in a browser on this machine and sign in as "
            f"{self._account}: {url}"
        )
        return True


class GoogleProvider:
    name = "google"

    def __init__(self, settings: OAuth2Settings, account: str, session: TimedSession) -> None:
        self.settings = settings
        self.account = account
        self.session = session
        self.needs_signin = settings.flow == "installed"
        self.scopes = settings.scopes or SCOPES
        self.token_url = settings.token_url or TOKEN_URL

    def close(self) -> None:
        self.session.close()

    def acquire(self) -> Grant:
        path = require(self.settings, "service_account_file")
        try:
            with open(path, encoding="utf-8") as file:
                info = json.load(file)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"cannot read the key: {exc.__class__.__name__}", key="oauth2.service_account_file"
            ) from None
        if isinstance(info, dict):
            # The key never leaves this machine, but nothing shows it either.
            register(str(info.get("private_key") or ""))
        if self.settings.token_url:
            info["token_uri"] = self.settings.token_url
        try:
            creds = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=list(self.scopes), subject=self.account
            )
        except (ValueError, KeyError) as exc:
            raise ConfigError(
                f"not a service account key ({exc.__class__.__name__})",
                key="oauth2.service_account_file",
            ) from None
        return self._refresh(creds, app=True)

    def refresh(self, refresh_token: str) -> Grant:
        creds = user_credentials.Credentials(  # type: ignore[no-untyped-call]
            None,
            refresh_token=refresh_token,
            token_uri=self.token_url,
            client_id=require(self.settings, "client_id"),
            client_secret=self.settings.client_secret.reveal() or None,
            scopes=list(self.scopes),
        )
        return self._refresh(creds, app=False)

    def sign_in(self, show: Callable[[str], None]) -> Grant:
        from google_auth_oauthlib.flow import InstalledAppFlow  # leaf; only `auth login` needs it

        config = {
            "installed": {
                "client_id": require(self.settings, "client_id"),
                "client_secret": self.settings.client_secret.reveal(),
                "auth_uri": self.settings.auth_url or AUTH_URL,
                "token_uri": self.token_url,
            }
        }
        flow = InstalledAppFlow.from_client_config(config, scopes=list(self.scopes))
        watch(flow.oauth2session)
        if self.settings.ca_file:
            # requests would let REQUESTS_CA_BUNDLE override the session's own CA file.
            flow.oauth2session.verify = self.settings.ca_file
            flow.oauth2session.trust_env = False
        # google-auth-oauthlib hands the address to a browser; this "browser" shows it instead,
        # so the person can open it wherever they like (the redirect comes back to this machine).
        webbrowser.register(_SHOW_BROWSER, None, _Show(show, self.account))
        try:
            creds = flow.run_local_server(
                host="127.0.0.1",
                port=0,
                open_browser=True,
                browser=_SHOW_BROWSER,
                authorization_prompt_message="",
                success_message="mailflow is signed in; you can close this window.",
                timeout_seconds=600,
                login_hint=self.account,
                access_type="offline",
                prompt="consent",
            )
        except Exception as exc:  # oauthlib's errors, or the wait that timed out
            error = str(getattr(exc, "error", "") or exc.__class__.__name__)
            raise refused(
                LABEL, self.account, error, str(getattr(exc, "description", "")), app=False
            ) from None
        finally:
            flow.oauth2session.close()
        return self._grant_of(creds)

    def _refresh(self, creds: Any, *, app: bool) -> Grant:
        request = google.auth.transport.requests.Request(self.session)
        try:
            creds.refresh(request)
        except google.auth.exceptions.RefreshError as exc:
            data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
            error = str(data.get("error") or "refused")
            raise refused(
                LABEL, self.account, error, str(data.get("error_description") or ""), app=app
            ) from None
        except google.auth.exceptions.TransportError as exc:
            raise unreachable(LABEL, exc) from None
        return self._grant_of(creds)

    def _grant_of(self, creds: Any) -> Grant:
        if not creds.token:
            raise AuthError(f"{LABEL} gave no access token for {self.account}")
        expiry = creds.expiry  # naive UTC, from google-auth's clock
        lifetime = 3600.0
        if expiry is not None:
            lifetime = (expiry.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds()
        return Grant(
            access_token=str(creds.token),
            expires_in=lifetime,
            refresh_token=str(getattr(creds, "refresh_token", "") or ""),
            scopes=tuple(getattr(creds, "granted_scopes", None) or self.scopes),
        )
