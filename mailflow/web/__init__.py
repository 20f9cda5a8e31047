"""The coordinator's web console: `create_app` builds it over an `App`, `serve` runs it.

A Flask application rendering server-side HTML from ``templates/web`` in the language the
coordinator picks, served by waitress. It is a thin layer: every page reads through one `App`
method and every form calls one, so the console holds no business rule the CLI lacks. Safety
lives in `mailflow.web.guard` (login, roles, CSRF, headers, throttling); the pages in
`mailflow.web.pages` (reading and reviewing) and `mailflow.web.manage` (members, report, outbox).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import StrictUndefined

from mailflow import lazy
from mailflow.answering.i18n import templates_dir
from mailflow.app import App
from mailflow.web import guard, language, manage, pages

__all__ = ["create_app", "serve"]


def create_app(
    app: App, *, report_dir: Path = Path("report"), secure_cookies: bool = False
) -> Flask:
    """The console's WSGI application over ``app``.

    ``report_dir`` is the folder the report is compiled into (as ``mailflow compile --out``).
    ``secure_cookies`` marks the session cookie Secure: the browser then sends it over HTTPS
    only (behind a reverse proxy that speaks TLS).
    """
    lazy.load_all()  # before the server's threads can run a deferred module twice at once
    web_dir = templates_dir() / "web"
    flask_app = Flask(
        "mailflow.web",
        template_folder=str(web_dir),
        static_folder=str(web_dir / "static"),
        static_url_path="/static",
    )
    flask_app.jinja_options = {
        **Flask.jinja_options,
        "extensions": ["jinja2.ext.i18n"],
        "undefined": StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
    }
    flask_app.config.update(
        SECRET_KEY=app.web_session_key(),
        SESSION_COOKIE_NAME="mailflow_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        TEMPLATES_AUTO_RELOAD=False,
    )
    flask_app.extensions["mailflow.app"] = app
    flask_app.extensions["mailflow.report_dir"] = report_dir.resolve()
    language.install(flask_app)
    guard.install(flask_app)
    flask_app.register_blueprint(pages.blueprint)
    flask_app.register_blueprint(manage.blueprint)
    return flask_app


def serve(
    app: App,
    host: str,
    port: int,
    *,
    report_dir: Path = Path("report"),
    proxy: str | None = None,
    threads: int = 4,
) -> None:
    """Serve the console with waitress until interrupted.

    ``proxy`` is the address of a reverse proxy in front (TLS ends there): its
    X-Forwarded-For/-Proto headers are trusted, nobody else's, and the cookie is Secure.
    """
    # Deferred: only a running console needs the server.
    from waitress import serve as waitress_serve

    options: dict[str, Any] = {}
    if proxy is not None:
        options = {
            "trusted_proxy": proxy,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
        }
    waitress_serve(
        create_app(app, report_dir=report_dir, secure_cookies=proxy is not None),
        host=host,
        port=port,
        threads=threads,
        ident="mailflow",
        clear_untrusted_proxy_headers=True,
        **options,
    )
