"""An OAuth2 token server on loopback for the tests: what Microsoft, Google and Dovecot ask of one.

`TokenServer` answers on two ports from one state. HTTPS (a trustme certificate for 127.0.0.1)
serves the clients, msal, google-auth and requests-oauthlib: OpenID discovery documents
(``/<tenant>/v2.0/.well-known/openid-configuration``, as msal reads them), the device
authorization endpoint (``/devicecode``), an authorization endpoint for the installed-app flow
(``/authorize``, which signs the person in at once and redirects with a code) and the token
endpoint (``/token``: client credentials, refresh token, device code, authorization code, and
the JWT bearer grant of Google service accounts, whose signature it checks). Plain HTTP serves
Dovecot's ``oauth2`` passdb: ``/introspect`` (RFC 7662, ``introspection_mode = post``) says
whether an access token is active and whose it is.

Tokens expire by the server's `clock`, which a test may share with mailflow to live through a
week in seconds. A test can approve a device code (`approve`), revoke a person's grant
(`revoke`), turn refresh-token rotation on or off, read what was asked (`requests`), make the
server careless (`echo`: every error description repeats the secrets the request carried, as
some token endpoints and proxies do) and list every secret that crossed the wire (`seen`).
Nothing here leaves the loopback interface.
"""

from __future__ import annotations

import json
import secrets
import ssl
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import trustme

HOST = "127.0.0.1"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: Fields of a token request that carry a secret.
SECRET_FIELDS = ("client_secret", "refresh_token", "device_code", "code", "assertion")


class Clock:
    """A clock a test can move forward; starts at the real time."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


@dataclass
class Grant:
    """A person's consent, or an app's: what its tokens may do and whose mailbox they open."""

    user: str
    client_id: str
    scope: str
    revoked: bool = False


@dataclass
class TokenServer:
    ca_file: Path
    clock: Callable[[], datetime]
    lifetime: timedelta = timedelta(hours=1)
    rotate: bool = True
    clients: dict[str, str] = field(default_factory=dict)  # client id -> secret ("" public)
    service_keys: dict[str, str] = field(default_factory=dict)  # service account -> public PEM
    app_user: dict[str, str] = field(default_factory=dict)  # app client id -> its mailbox
    access: dict[str, tuple[Grant, datetime]] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)  # device code -> state
    codes: dict[str, Grant] = field(default_factory=dict)  # authorization codes
    requests: Counter[str] = field(default_factory=Counter)
    echo: bool = False
    seen: set[str] = field(default_factory=set)  # every token issued, every secret received
    https_port: int = 0
    http_port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _servers: list[ThreadingHTTPServer] = field(default_factory=list)

    # -- the test's handles ------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"https://{HOST}:{self.https_port}"

    @property
    def introspection_url(self) -> str:
        return f"http://{HOST}:{self.http_port}/introspect"

    def authority(self, tenant: str = "contoso") -> str:
        return f"{self.url}/{tenant}"

    def add_client(self, client_id: str, secret: str = "") -> None:
        self.clients[client_id] = secret

    def approve(self, user: str, user_code: str | None = None) -> None:
        """Sign ``user`` in for the pending device code (the only one, when none is named)."""
        with self.lock:
            pending = [
                d
                for d in self.devices.values()
                if d["user"] is None and user_code in (None, d["user_code"])
            ]
            assert len(pending) == 1, f"expected one pending device code, found {len(pending)}"
            pending[0]["user"] = user

    def pending_user_codes(self) -> list[str]:
        with self.lock:
            return [d["user_code"] for d in self.devices.values() if d["user"] is None]

    def revoke(self, user: str) -> None:
        """Withdraw every grant of ``user``: its refresh and access tokens stop working."""
        with self.lock:
            for grant, _ in self.access.values():
                if grant.user == user:
                    grant.revoked = True
            for grant in self.refresh.values():
                if grant.user == user:
                    grant.revoked = True

    def expire_access_tokens(self, user: str) -> None:
        """Make every access token of ``user`` inactive now (a server that revoked early)."""
        with self.lock:
            for token, (grant, _) in list(self.access.items()):
                if grant.user == user:
                    self.access[token] = (grant, self.clock() - timedelta(seconds=1))

    def refresh_tokens_of(self, user: str) -> list[str]:
        with self.lock:
            return [t for t, g in self.refresh.items() if g.user == user and not g.revoked]

    # -- issuing -------------------------------------------------------------------------------
    def issue(self, grant: Grant, *, with_refresh: bool, old_refresh: str = "") -> dict[str, Any]:
        access = "at-" + secrets.token_urlsafe(24)
        self.seen.add(access)
        self.access[access] = (grant, self.clock() + self.lifetime)
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(self.lifetime.total_seconds()),
            "scope": grant.scope,
        }
        if with_refresh:
            if self.rotate or not old_refresh:
                if old_refresh:
                    self.refresh.pop(old_refresh, None)  # a rotated refresh token is single-use
                new = "rt-" + secrets.token_urlsafe(24)
                self.seen.add(new)
                self.refresh[new] = grant
                answer["refresh_token"] = new
            else:
                answer["refresh_token"] = old_refresh
        return answer

    def introspect(self, token: str) -> dict[str, Any]:
        with self.lock:
            entry = self.access.get(token)
            if entry is None:
                return {"active": False}
            grant, expires = entry
            if grant.revoked or expires <= self.clock():
                return {"active": False}
            return {
                "active": True,
                "email": grant.user,
                "scope": grant.scope,
                "client_id": grant.client_id,
            }

    # -- running -------------------------------------------------------------------------------
    @classmethod
    def start(cls, folder: Path, clock: Callable[[], datetime] | None = None) -> TokenServer:
        folder.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA()
        leaf = ca.issue_cert(HOST, "localhost")
        ca_file = folder / "oauth-ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        server = cls(ca_file=ca_file, clock=clock or (lambda: datetime.now(UTC)))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(context)
        handler = _handler(server)
        secure = ThreadingHTTPServer((HOST, 0), handler)
        secure.socket = context.wrap_socket(secure.socket, server_side=True)
        plain = ThreadingHTTPServer((HOST, 0), handler)
        server.https_port = secure.server_address[1]
        server.http_port = plain.server_address[1]
        for httpd in (secure, plain):
            httpd.daemon_threads = True
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
            server._servers.append(httpd)
        return server

    def stop(self) -> None:
        for httpd in self._servers:
            httpd.shutdown()
            httpd.server_close()


def _handler(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet: pytest shows failures itself
            return None

        def do_GET(self) -> None:
            path = urllib.parse.urlsplit(self.path)
            if path.path.endswith("/.well-known/openid-configuration"):
                server.requests["discovery"] += 1
                tenant = path.path.split("/")[1]
                base = f"{server.url}/{tenant}"
                self._json(
                    200,
                    {
                        "issuer": f"{base}/v2.0",
                        "authorization_endpoint": f"{server.url}/authorize",
                        "token_endpoint": f"{server.url}/token",
                        "device_authorization_endpoint": f"{server.url}/devicecode",
                    },
                )
            elif path.path == "/authorize":
                self._authorize(dict(urllib.parse.parse_qsl(path.query)))
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            path = urllib.parse.urlsplit(self.path).path
            if path == "/introspect":
                server.requests["introspect"] += 1
                self._json(200, server.introspect(form.get("token", "")))
            elif path == "/devicecode":
                self._devicecode(form)
            elif path == "/token":
                with server.lock:
                    sent = {k: v for k, v in form.items() if k in SECRET_FIELDS and v}
                    server.seen.update(sent.values())
                    status, body = _token(server, form, self.headers.get("Authorization", ""))
                    if server.echo and status >= 400:
                        received = ", ".join(f"{k}={v}" for k, v in sent.items())
                        body["error_description"] += f" (received {received})"
                self._json(status, body)
            else:
                self._json(404, {"error": "not_found"})

        def _devicecode(self, form: dict[str, str]) -> None:
            server.requests["devicecode"] += 1
            if form.get("client_id") not in server.clients:
                self._json(400, {"error": "invalid_client", "error_description": "unknown client"})
                return
            code, user_code = secrets.token_urlsafe(16), secrets.token_hex(4).upper()
            with server.lock:
                server.seen.add(code)
                server.devices[code] = {
                    "user_code": user_code,
                    "user": None,
                    "client_id": form["client_id"],
                    "scope": form.get("scope", ""),
                }
            self._json(
                200,
                {
                    "device_code": code,
                    "user_code": user_code,
                    "verification_uri": f"{server.url}/device",
                    "expires_in": 900,
                    "interval": 1,
                    "message": f"Open {server.url}/device and enter {user_code}.",
                },
            )

        def _authorize(self, query: dict[str, str]) -> None:
            """The installed-app flow's page: signs in ``login_hint`` at once and redirects."""
            server.requests["authorize"] += 1
            code = "code-" + secrets.token_urlsafe(12)
            with server.lock:
                server.seen.add(code)
                server.codes[code] = Grant(
                    query.get("login_hint", ""), query.get("client_id", ""), query.get("scope", "")
                )
            target = (
                query["redirect_uri"]
                + "?"
                + urllib.parse.urlencode(
                    {"code": code, "state": query.get("state", ""), "scope": query.get("scope", "")}
                )
            )
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _client(server: TokenServer, form: dict[str, str], authorization: str) -> tuple[str, str]:
    if authorization.startswith("Basic "):
        import base64

        client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        return urllib.parse.unquote_plus(client_id), urllib.parse.unquote_plus(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


def _error(error: str, description: str) -> tuple[int, dict[str, Any]]:
    return 400, {"error": error, "error_description": description}


def _token(
    server: TokenServer, form: dict[str, str], authorization: str
) -> tuple[int, dict[str, Any]]:
    kind = form.get("grant_type", "")
    server.requests[kind] += 1
    if kind == JWT_GRANT:
        return _service_account(server, form.get("assertion", ""))
    client_id, secret = _client(server, form, authorization)
    if client_id not in server.clients or server.clients[client_id] not in ("", secret):
        return _error("invalid_client", "AADSTS7000215: Invalid client secret provided.")
    if kind == "client_credentials":
        if not server.clients[client_id]:
            return _error("unauthorized_client", "a public client has no credentials")
        # App-only: the app may open every mailbox; Dovecot checks the SASL user, so the token
        # is issued for the user the test registered as this app's mailbox.
        user = server.app_user.get(client_id, "")
        return 200, server.issue(Grant(user, client_id, form.get("scope", "")), with_refresh=False)
    if kind == "refresh_token":
        old = form.get("refresh_token", "")
        grant = server.refresh.get(old)
        if grant is None or grant.revoked:
            return _error(
                "invalid_grant", "AADSTS70008: The refresh token has expired or was revoked."
            )
        fresh = Grant(grant.user, grant.client_id, grant.scope)
        answer = server.issue(fresh, with_refresh=True, old_refresh=old)
        if not server.rotate:
            server.refresh[old] = fresh
        return 200, answer
    if kind == DEVICE_GRANT:
        device = server.devices.get(form.get("device_code", ""))
        if device is None:
            return _error("expired_token", "unknown device code")
        if device["user"] is None:
            return _error("authorization_pending", "waiting for the person")
        del server.devices[form["device_code"]]
        grant = Grant(device["user"], client_id, device["scope"] or form.get("scope", ""))
        return 200, server.issue(grant, with_refresh=True)
    if kind == "authorization_code":
        grant = server.codes.pop(form.get("code", ""), None)
        if grant is None:
            return _error("invalid_grant", "unknown code")
        return 200, server.issue(grant, with_refresh=True)
    return _error("unsupported_grant_type", kind)


def _service_account(server: TokenServer, assertion: str) -> tuple[int, dict[str, Any]]:
    """Google's JWT bearer grant: a service account's signed claim to act as ``sub``."""
    try:
        issuer = jwt.decode(assertion, options={"verify_signature": False})["iss"]
        key = server.service_keys[issuer]
        # google-auth addresses the assertion to Google's token endpoint whatever token_uri is.
        claims = jwt.decode(
            assertion, key, algorithms=["RS256"], audience="https://oauth2.googleapis.com/token"
        )
    except (jwt.PyJWTError, KeyError) as exc:
        return _error("invalid_grant", f"bad assertion: {exc.__class__.__name__}")
    grant = Grant(claims.get("sub", ""), issuer, claims.get("scope", ""))
    return 200, server.issue(grant, with_refresh=False)


def serve(folder: Path, clock: Callable[[], datetime] | None = None) -> Iterator[TokenServer]:
    server = TokenServer.start(folder, clock)
    try:
        yield server
    finally:
        server.stop()
