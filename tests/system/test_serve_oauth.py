"""`mailflow serve` with OAuth2 against Dovecot (and Postfix): sessions that end, tokens that
expire hourly on an accelerated clock, a revoked sign-in, alerts. Tokens come from the token
server on loopback (`support.oauth_server`), whose clock the test shares with mailflow."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import func, select
from support.mail import append, contribution
from support.oauth_server import Clock, TokenServer
from support.postfix import Postfix
from support.servers import Mailbox
from support.serving import Running, wait_until
from support.settings import oauth_settings

from mailflow import members, service, signin
from mailflow.alerts import Alerts
from mailflow.config import AlertSettings, Settings, SmtpSettings
from mailflow.ledger import Ledger
from mailflow.ledger.models import InboundMessage, Incident, OutboxMail, ServiceEvent
from mailflow.ledger.tokens import LedgerTokenStore

pytestmark = pytest.mark.servers

COORDINATOR = "coordinator@association.test"


@pytest.fixture
def clock(token_server: TokenServer) -> Iterator[Clock]:
    """A clock shared by the token server and mailflow, moved by the test."""
    shared = Clock()
    real = token_server.clock
    token_server.clock = shared
    yield shared
    token_server.clock = real


def recorded(ledger: Ledger) -> int:
    with ledger.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(InboundMessage)) or 0)


def refreshed(ledger: Ledger, user: str, clock: Clock) -> bool:
    """Whether the stored token was refreshed at the clock's present time."""
    token = LedgerTokenStore(ledger, "microsoft").load(user)
    return token is not None and token.refreshed_at == clock()


def sent_files(settings: Settings) -> list[str]:
    folder = Path(settings.smtp.outdir)
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [message_from_bytes(f.read_bytes(), policy=policy.default)["Subject"] for f in files]


def signed_in(
    settings: Settings, ledger: Ledger, mailbox: Mailbox, server: TokenServer, clock: Clock
) -> Settings:
    """Settings for ``mailbox`` with device-code sign-in, signed in, alerts to the coordinator."""
    config = oauth_settings(settings, mailbox, server, flow="device")
    config = dataclasses.replace(config, alerts=AlertSettings(to=COORDINATOR, after_minutes=30))
    signin.login(config, ledger, lambda _text: server.approve(mailbox.user), clock=clock)
    return config


@pytest.mark.slow
def test_serve_server_restart_mid_idle_logs_in_with_a_fresh_token(
    settings: Settings,
    ledger: Ledger,
    fresh_mailbox: Mailbox,
    token_server: TokenServer,
    clock: Clock,
) -> None:
    config = signed_in(settings, ledger, fresh_mailbox, token_server, clock)
    first = LedgerTokenStore(ledger, "microsoft").load(fresh_mailbox.user)
    assert first is not None
    with Running(config, ledger, clock=clock) as running:
        append(fresh_mailbox, [contribution(1)])
        wait_until(lambda: recorded(ledger) == 1, "the first mail recorded through IDLE")
        clock.advance(timedelta(hours=2))  # the token of the open session has expired
        fresh_mailbox.server.restart()
        # Dovecot's IMAP processes say BYE 10-30 s after their master went down.
        wait_until(lambda: refreshed(ledger, fresh_mailbox.user, clock), "a new login", 90.0)
        append(fresh_mailbox, [contribution(2)])
        wait_until(lambda: recorded(ledger) == 2, "the mail after the restart recorded")
        assert running.alive

    latest = LedgerTokenStore(ledger, "microsoft").load(fresh_mailbox.user)
    assert latest is not None
    assert latest.refreshed_at == clock()
    assert latest.refresh_token != first.refresh_token
    assert sent_files(config) == []  # no alert: the restart healed at once


def test_serve_revoked_signin_alerts_at_once_then_says_it_works_again(
    settings: Settings,
    ledger: Ledger,
    fresh_mailbox: Mailbox,
    token_server: TokenServer,
    clock: Clock,
) -> None:
    config = signed_in(settings, ledger, fresh_mailbox, token_server, clock)
    user = fresh_mailbox.user
    with Running(config, ledger, clock=clock):
        wait_until(lambda: token_server.requests["introspect"] > 0, "the first login")
        token_server.revoke(user)
        fresh_mailbox.server.kick(user)  # the next login needs a token, and there is none
        wait_until(lambda: len(sent_files(config)) == 1, "the alert mail")
        [incident] = _open_incidents(config, ledger)
        assert incident["signin_needed"] is True
        # The coordinator signs in again; the service finds the new tokens by itself.
        signin.login(config, ledger, lambda _text: token_server.approve(user), clock=clock)
        wait_until(lambda: len(sent_files(config)) == 2, "the mail saying it works again")

    assert sent_files(config) == [
        f"mailflow: cannot read the mailbox for {user}",
        f"mailflow: read the mailbox works again for {user}",
    ]
    assert _open_incidents(config, ledger) == []


def _open_incidents(settings: Settings, ledger: Ledger) -> list[dict[str, object]]:
    return Alerts(settings, ledger).open_incidents()


#: Quick enough to live an hour of the accelerated clock in a fraction of a second.
WEEK_TIMINGS = service.Timings(
    idle_max_s=5.0,
    check_s=0.02,
    full_pass_s=60.0,
    flush_s=0.1,
    backoff_min_s=0.01,
    backoff_max_s=0.05,
)


@pytest.mark.slow
def test_serve_a_week_of_hourly_tokens_loses_nothing(
    settings: Settings,
    ledger: Ledger,
    fresh_mailbox: Mailbox,
    token_server: TokenServer,
    clock: Clock,
    postfix_mta: Postfix,
) -> None:
    """168 hours: every hour the access token expires and the server ends the session (as
    Exchange does); every six hours a member writes. Reading and sending both use OAuth2."""
    user = fresh_mailbox.user
    config = signed_in(settings, ledger, fresh_mailbox, token_server, clock)
    config = dataclasses.replace(
        config,
        smtp=SmtpSettings(
            host=postfix_mta.host,
            port=postfix_mta.smtp_port,
            security="none",
            user=user,
            auth="oauth2",
            from_=f"WSIS coordinator <{user}>",
        ),
    )
    tag = user.split("@")[0]
    writers = [f"{tag}-member{n}@members.test" for n in range(28)]
    with ledger.transaction() as session:
        for address in writers:
            members.upsert(session, [address], name=address.split("@")[0])
    refresh_grants = token_server.requests["refresh_token"]

    with Running(config, ledger, WEEK_TIMINGS, clock=clock) as running:
        for hour in range(7 * 24):
            clock.advance(timedelta(hours=1))
            kicked = datetime.now(UTC)
            fresh_mailbox.server.kick(user)
            # A pass after the kick: logged in again with a new token, the session in place.
            wait_until(
                lambda at=kicked: refreshed(ledger, user, clock) and passed_since(ledger, at),
                f"hour {hour}: a new login",
            )
            if hour % 6 == 0:
                append(fresh_mailbox, [member_mail(writers[hour // 6], hour)])
        wait_until(lambda: recorded(ledger) == len(writers), "every member's mail recorded")
        # 28 answers through Postfix with a token refreshed every simulated hour: on a busy
        # 2-core machine (a CI run beside other work) this took longer than the usual 30 s.
        wait_until(
            lambda: outbox_states(ledger) == {"sent": len(writers)},
            "every answer sent",
            timeout=120,
        )
        assert running.alive

    with ledger.transaction() as session:
        answered = sorted(session.scalars(select(OutboxMail.recipient)))
        alerted = session.scalar(
            select(func.count()).select_from(Incident).where(Incident.alerted_at.is_not(None))
        )
    assert answered == sorted(writers)
    assert alerted == 0
    assert token_server.requests["refresh_token"] - refresh_grants >= 7 * 24
    latest = LedgerTokenStore(ledger, "microsoft").load(user)
    assert latest is not None
    assert token_server.refresh_tokens_of(user) == [latest.refresh_token]


def member_mail(address: str, hour: int) -> bytes:
    return (
        f"From: {address}\r\nTo: wsis@association.test\r\n"
        f"Subject: WSIS contribution, hour {hour}\r\nMessage-ID: <week-{hour}-{address}>\r\n"
        "Date: Mon, 08 Sep 2025 10:00:00 +0000\r\n\r\n"
        f"Action lines: C3\r\nWhy: we opened {hour} reading rooms.\r\n"
    ).encode()


def passed_since(ledger: Ledger, moment: datetime) -> bool:
    with ledger.transaction() as session:
        event = session.get(ServiceEvent, "last_poll")
        return event is not None and event.at > moment


def outbox_states(ledger: Ledger) -> dict[str, int]:
    with ledger.transaction() as session:
        rows = session.execute(select(OutboxMail.state, func.count()).group_by(OutboxMail.state))
        return {state: count for state, count in rows}
