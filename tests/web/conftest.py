"""Fixtures of the web console's tests: a campaign workspace, the console served by waitress on
loopback, accounts, and a real headless Chromium driven by Selenium.

The workspace holds the bundled sample mail (one held submission from a stranger, one member
with two versions) plus a contribution full of markup and script, polled into a fresh SQLite
ledger; mail goes to the aiosmtpd server of the test (`smtp_server`). The browser is Debian's
``chromium`` with its ``chromedriver``; without them the browser tests are skipped, saying so.
Screenshots of the pages go to ``tests/artifacts/web`` (ignored by git).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.browser import chromium
from support.smtp_server import SmtpTestServer
from support.web import (
    COORDINATOR,
    VIEWER,
    Console,
    Workspace,
    markup_message,
)
from waitress.server import create_server

from mailflow import members, pipeline
from mailflow.app import App
from mailflow.config import (
    CampaignSettings,
    ImapSettings,
    LedgerSettings,
    Settings,
    SmtpSettings,
)
from mailflow.resources import sample_maildir
from mailflow.web import create_app


def _settings(base: Path, smtp: SmtpSettings) -> Settings:
    return Settings(
        ledger=LedgerSettings(url=f"sqlite:///{base / 'ledger.sqlite3'}"),
        imap=ImapSettings(maildir=str(base / "Maildir"), user="wsis@association.test"),
        smtp=smtp,
        campaign=CampaignSettings(
            deadline=datetime.fromisoformat("2099-09-30T23:59:59+07:00"),
            recipient="report@ifla.test",
        ),
    )


@pytest.fixture(scope="session")
def polled_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample campaign polled once into a ledger (confirmations to .eml files), with a
    coordinator and a viewer account; each test works on its own copy."""
    base = tmp_path_factory.mktemp("polled")
    maildir = base / "Maildir"
    shutil.copytree(sample_maildir(), maildir)
    (maildir / "new" / "1700000000.markup.test").write_bytes(markup_message())
    roster = base / "members.csv"
    text = (sample_maildir().parent / "members.csv").read_text(encoding="utf-8")
    text += "m.allory@bibliotheque-riviere.example.fr,Mallory,<i>Rivière</i> Library,France,fr\n"
    roster.write_text(text, encoding="utf-8")
    settings = _settings(base, SmtpSettings(outdir=str(base / "sent")))
    app = App(settings)
    ledger = app.ledger(check_schema=False)
    ledger.upgrade()
    with ledger.transaction() as session:
        members.import_csv(session, roster)
    pipeline.run_once(settings, ledger)
    app.add_web_user(COORDINATOR[0], COORDINATOR[1], "coordinator")
    app.add_web_user(VIEWER[0], VIEWER[1], "viewer")
    app.close()
    return base / "ledger.sqlite3"


@pytest.fixture
def workspace(
    tmp_path: Path, polled_ledger: Path, smtp_server: SmtpTestServer
) -> Iterator[Workspace]:
    """A copy of the polled campaign, its mail going to the test's SMTP server."""
    shutil.copyfile(polled_ledger, tmp_path / "ledger.sqlite3")
    smtp = SmtpSettings(
        host=smtp_server.host,
        port=smtp_server.port,
        security="none",
        user="",
        from_="WSIS coordinator <wsis@association.test>",
        timeout_s=10,
    )
    app = App(_settings(tmp_path, smtp))
    yield Workspace(app=app, path=tmp_path, smtp=smtp_server)
    app.close()


@pytest.fixture
def flask_app(workspace: Workspace) -> Flask:
    return create_app(workspace.app, report_dir=workspace.path / "report")


@pytest.fixture
def client(flask_app: Flask) -> FlaskClient:
    return flask_app.test_client()


@pytest.fixture
def console(flask_app: Flask, workspace: Workspace) -> Iterator[Console]:
    """The console served by waitress on a free loopback port."""
    server = create_server(flask_app, host="127.0.0.1", port=0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield Console(url=f"http://127.0.0.1:{server.effective_port}", workspace=workspace)
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A fresh headless Chromium for each test (no cookies or session carried over)."""
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver
