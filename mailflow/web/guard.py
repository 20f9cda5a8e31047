"""Who may see and do what in the console, and the headers that keep a browser safe.

- Every page needs a login, except the login page, the language picker and the style sheet.
- The session cookie is signed (Flask), HttpOnly and SameSite=Strict, and names the account;
  the account is read again at every request, so a removed account is out at once.
- Every form carries a CSRF token (Flask-WTF's `CSRFProtect`); a post without a valid one is
  refused with 400.
- Only coordinators post; a viewer reads (403 on any post but logging out or picking a language).
- Guessing is throttled twice: `mailflow.accounts` locks an account after repeated wrong
  passwords, and `Throttle` refuses logins from an address after too many failures (429).
- Content-Security-Policy allows no script at all and styles only from the console itself.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from mailflow.accounts import LoginRefused
from mailflow.answering import i18n
from mailflow.app import App
from mailflow.errors import MailflowError, NotFoundError
from mailflow.notices import notice_of
from mailflow.web import messages
from mailflow.web.language import _

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: Endpoints open without a login.
PUBLIC = frozenset({"guard.login", "guard.language", "static"})
#: Posts a viewer may make.
VIEWER_POSTS = frozenset({"guard.login", "guard.logout", "guard.language"})

blueprint = Blueprint("guard", __name__)


class Throttle:
    """At most ``limit`` failed logins per client address within ``window_s`` seconds."""

    def __init__(self, limit: int = 10, window_s: float = 900.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.setdefault(address, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def blocked(self, address: str) -> bool:
        with self._lock:
            return len(self._recent(address, time.monotonic())) >= self.limit

    def failed(self, address: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._recent(address, now).append(now)
            if len(self._failures) > 10_000:  # forget addresses that went quiet
                for key in [k for k, v in self._failures.items() if not v]:
                    del self._failures[key]


def core() -> App:
    """The `App` this console runs over."""
    app = current_app.extensions["mailflow.app"]
    assert isinstance(app, App)
    return app


def who() -> str:
    """The logged-in account's name, for the decisions trail."""
    return str(g.account.name)


def install(flask_app: Flask) -> None:
    CSRFProtect(flask_app)
    flask_app.extensions["mailflow.throttle"] = Throttle()
    flask_app.before_request(_require_login)
    flask_app.after_request(_headers)
    flask_app.register_blueprint(blueprint)
    flask_app.register_error_handler(CSRFError, _csrf_refused)
    flask_app.register_error_handler(NotFoundError, _not_found)
    flask_app.register_error_handler(HTTPException, _http_error)
    flask_app.register_error_handler(MailflowError, _mailflow_error)


def _require_login() -> Response | None:
    g.account = None
    g.zone = core().settings.campaign.deadline.tzinfo
    if request.endpoint in PUBLIC:
        return None
    user_id = session.get("account")
    if isinstance(user_id, int):
        try:
            g.account = core().web_account(user_id)
        except NotFoundError:
            session.clear()
    if g.account is None:
        if request.method == "GET":
            return redirect(url_for("guard.login", next=request.full_path.rstrip("?")))
        abort(403)
    if (
        request.method == "POST"
        and request.endpoint not in VIEWER_POSTS
        and not g.account.can_decide
    ):
        abort(403)
    return None


def _headers(response: Response) -> Response:
    # A view may set a policy of its own (the report as IFLA reads it, framed by the console).
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(status: int, message: str, *, english: bool = False) -> tuple[str, int]:
    """The error page; ``english``: the message is the core's own English (it has no code)."""
    page = render_template("error.html", status=status, message=message, english=english)
    return page, status


def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    return _error_page(
        400,
        _(
            "This form has expired or did not come from this console. "
            "Go back, reload the page and try again."
        ),
    )


def _not_found(error: NotFoundError) -> tuple[str, int]:
    return _error_page(404, messages.error_text(error), english=notice_of(error) is None)


def _mailflow_error(error: MailflowError) -> tuple[str, int]:
    return _error_page(409, messages.error_text(error), english=notice_of(error) is None)


def _http_error(error: HTTPException) -> tuple[str, int]:
    messages: dict[int, Callable[[], str]] = {
        400: lambda: _("This request is not one the console understands."),
        403: lambda: _("Your account may look but not change anything here."),
        404: lambda: _("There is no such page."),
        405: lambda: _("This address does not take that kind of request."),
        413: lambda: _("That file is too large."),
        429: lambda: _("Too many failed logins from your address. Wait a quarter of an hour."),
    }
    status = error.code or 500
    return _error_page(status, messages.get(status, lambda: error.description or "")())


def _safe_next(target: str | None) -> str:
    """Only a path on this console: never another site (no open redirect)."""
    if not target:
        return url_for("pages.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("pages.dashboard")
    return target


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = ""
    if request.method == "POST":
        throttle: Throttle = current_app.extensions["mailflow.throttle"]
        address = request.remote_addr or ""
        if throttle.blocked(address):
            abort(429)
        try:
            account = core().login(request.form.get("name", ""), request.form.get("password", ""))
        except LoginRefused as refused:
            throttle.failed(address)
            if refused.locked_until is not None:
                error = _("This account is locked for a while after repeated failed logins.")
            else:
                error = _("Wrong name or password.")
        else:
            language = session.get("language")
            session.clear()  # a fresh session: nothing from before the login carries over
            session.permanent = True
            session["account"] = account.id
            if language:
                session["language"] = language
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error), 200 if not error else 401


@blueprint.route("/logout", methods=["POST"])
def logout() -> Response:
    session.clear()
    return redirect(url_for("guard.login"))


@blueprint.route("/language", methods=["POST"])
def language() -> Response:
    chosen = i18n.normalize_language(request.form.get("language"))
    if chosen:
        session["language"] = chosen
    return redirect(_safe_next(request.form.get("next")))
