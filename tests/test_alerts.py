"""Alerts when mail stops flowing: one mail per incident, one when it works again.

The alerts go through the file sink here (a folder of .eml files), on an injected clock; the
service-level tests with real servers are in tests/system/test_serve_oauth.py.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from support.oauth_server import Clock

from mailflow.alerts import Alerts
from mailflow.answering.outbox import Delivery
from mailflow.config import AlertSettings, Settings
from mailflow.errors import AuthError, SourceError
from mailflow.ledger import Ledger

TO = "coordinator@association.test"


@pytest.fixture
def alerted(settings: Settings) -> Settings:
    return dataclasses.replace(settings, alerts=AlertSettings(to=TO, after_minutes=30))


def body(mail: EmailMessage) -> str:
    return str(mail.get_content()).replace("\r\n", "\n")


def mails(settings: Settings) -> list[EmailMessage]:
    folder = Path(settings.smtp.outdir)
    files = (
        sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else []
    )
    return [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]  # type: ignore[misc]


def flushed(**counts: int) -> Delivery:
    """What `outbox.flush` returns for these counts, each mail not sent for the same reply."""
    delivery = Delivery()
    for outcome, count in counts.items():
        for _ in range(count):
            delivery.add(outcome, "451 4.3.0 try again later")
    return delivery


def test_failure_shorter_than_threshold_sends_nothing(alerted: Settings, ledger: Ledger) -> None:
    clock = Clock()
    alerts = Alerts(alerted, ledger, clock=clock)

    alerts.failed("fetch", SourceError("IMAP server 127.0.0.1:993: cannot connect: timed out"))
    clock.advance(timedelta(minutes=29))
    alerts.failed("fetch", SourceError("IMAP server 127.0.0.1:993: cannot connect: timed out"))
    alerts.succeeded("fetch")

    assert mails(alerted) == []
    assert alerts.open_incidents() == []


def test_long_failure_gives_one_alert_then_one_resolved_mail(
    alerted: Settings, ledger: Ledger
) -> None:
    clock = Clock()
    alerts = Alerts(alerted, ledger, clock=clock)
    start = clock()

    for _ in range(10):  # an hour and a half of failures, every ten minutes
        alerts.failed("fetch", SourceError("IMAP server imap.example.org:993: cannot connect"))
        clock.advance(timedelta(minutes=10))
    alerts.succeeded("fetch")

    alert, resolved = mails(alerted)
    user = alerted.imap.user
    assert (alert["To"], alert["Subject"], alert["Auto-Submitted"]) == (
        TO,
        f"mailflow: cannot read the mailbox for {user}",
        "auto-generated",
    )
    assert body(alert) == (
        f"mailflow cannot read the mailbox for {user} since "
        f"{start.strftime('%Y-%m-%d %H:%M')} UTC.\n\n"
        "The last error: IMAP server imap.example.org:993: cannot connect\n\n"
        "mailflow keeps trying. If the server is down for maintenance there is nothing\n"
        "to do; otherwise check the server and the network.\n\n"
        "You will get one more mail when it works again; `mailflow status` shows the state.\n"
    )
    assert resolved["Subject"] == f"mailflow: read the mailbox works again for {user}"
    end = start + timedelta(minutes=100)
    assert body(resolved) == (
        f"mailflow can read the mailbox for {user} again since "
        f"{end.strftime('%Y-%m-%d %H:%M')} UTC.\n\n"
        f"It could not from {start.strftime('%Y-%m-%d %H:%M')} UTC (100 minutes).\n"
        "The last error was: IMAP server imap.example.org:993: cannot connect\n"
    )


def test_revoked_signin_alerts_at_once_and_says_what_to_run(
    alerted: Settings, ledger: Ledger
) -> None:
    alerts = Alerts(alerted, ledger, clock=Clock())
    error = AuthError(
        "the sign-in to wsis@association.test at Microsoft is no longer valid (…); a person "
        "must sign in again: run `mailflow auth login`",
        signin_needed=True,
    )

    alerts.failed("fetch", error)
    alerts.failed("fetch", error)

    [alert] = mails(alerted)
    assert "run `mailflow auth login` on the server" in body(alert)
    [incident] = alerts.open_incidents()
    assert (incident["kind"], incident["signin_needed"], incident["error"]) == (
        "fetch",
        True,
        str(error),
    )
    assert incident["alerted_at"] is not None


def test_send_and_fetch_incidents_are_separate(alerted: Settings, ledger: Ledger) -> None:
    clock = Clock()
    alerts = Alerts(alerted, ledger, clock=clock)

    alerts.failed("fetch", SourceError("down"))
    alerts.delivered(flushed(retry=2))
    clock.advance(timedelta(minutes=31))
    alerts.failed("fetch", SourceError("down"))
    alerts.delivered(flushed(retry=2))
    alerts.delivered(flushed(sent=1))

    subjects = [m["Subject"] for m in mails(alerted)]
    user = alerted.imap.user
    assert subjects == [
        f"mailflow: cannot read the mailbox for {user}",
        f"mailflow: cannot send mail for {user}",
        f"mailflow: send mail works again for {user}",
    ]
    assert [i["kind"] for i in alerts.open_incidents()] == ["fetch"]


def test_without_alerts_to_the_alert_is_only_logged_and_in_status(
    settings: Settings, ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    alerts = Alerts(settings, ledger, clock=Clock())

    alerts.failed("fetch", AuthError("no sign-in", signin_needed=True))

    assert mails(settings) == []
    assert "ALERT (alerts.to is not set, so no mail): no sign-in" in caplog.text
    [incident] = alerts.open_incidents()
    assert incident["alert_not_sent"] == "alerts.to is not set"
