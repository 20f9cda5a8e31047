"""Sending with OAuth2: SMTP AUTH XOAUTH2/OAUTHBEARER at a real Postfix, checked by Dovecot.

Postfix hands each AUTH to Dovecot's authentication service, whose oauth2 passdb asks the
session's token server (tests/oauth_server.py) about the token. Run under
``flock /tmp/postfix.lock`` like every test that starts Postfix.
"""

from __future__ import annotations

import dataclasses
import re
import smtplib

import pytest
from support.mail import envelope, eventually, fetch_all
from support.oauth_server import TokenServer
from support.postfix import Postfix
from support.servers import Mailbox
from support.settings import oauth_settings

from mailflow.answering import outbox
from mailflow.answering.sinks import Outcome, SmtpServer, SmtpSink
from mailflow.config import Settings, SmtpSettings
from mailflow.errors import DeliveryError
from mailflow.ledger import Ledger
from mailflow.ledger.tokens import credentials_for

pytestmark = pytest.mark.servers


def smtp_oauth(settings: Settings, postfix: Postfix, mailbox: Mailbox) -> Settings:
    smtp = SmtpSettings(
        host=postfix.host,
        port=postfix.smtp_port,
        security="none",
        user=mailbox.user,
        auth="oauth2",
        from_=f"WSIS coordinator <{mailbox.user}>",
    )
    return dataclasses.replace(settings, smtp=smtp)


def sasl_logins(postfix: Postfix, user: str) -> list[str]:
    """The SASL mechanisms Postfix logged for ``user``'s logins, in order."""
    pattern = re.compile(rf"sasl_method=(\S+), sasl_username={re.escape(user)}$", re.M)
    return pattern.findall(postfix.log())


def test_flush_sends_with_token_through_postfix(
    settings: Settings,
    ledger: Ledger,
    postfix_mta: Postfix,
    fresh_mailbox: Mailbox,
    token_server: TokenServer,
) -> None:
    config = smtp_oauth(
        oauth_settings(settings, fresh_mailbox, token_server), postfix_mta, fresh_mailbox
    )
    mail = envelope(1, fresh_mailbox.user, fresh_mailbox.user)
    with ledger.transaction() as session:
        outbox.queue(
            session,
            kind="confirmation",
            message_id=mail.message_id,
            sender=fresh_mailbox.user,
            recipient=fresh_mailbox.user,
            subject="Re: WSIS contribution 1",
            data=mail.data,
        )

    counts = outbox.flush(config, ledger)

    assert counts == {"sent": 1}
    [message] = eventually(lambda: fetch_all(fresh_mailbox) or None, "delivery to Dovecot")
    assert message.headers["message-id"] == (mail.message_id,)
    assert sasl_logins(postfix_mta, fresh_mailbox.user) == ["OAUTHBEARER"]


def test_sink_xoauth2_token_refused_is_replaced_once(
    settings: Settings,
    ledger: Ledger,
    postfix_mta: Postfix,
    fresh_mailbox: Mailbox,
    token_server: TokenServer,
) -> None:
    config = smtp_oauth(
        oauth_settings(settings, fresh_mailbox, token_server), postfix_mta, fresh_mailbox
    )
    credentials = credentials_for(config, ledger, "smtp")
    assert credentials is not None
    credentials.token()
    token_server.expire_access_tokens(fresh_mailbox.user)  # the stored one is refused now
    before = token_server.requests["client_credentials"]
    sink = SmtpSink(
        SmtpServer(
            postfix_mta.host,
            postfix_mta.smtp_port,
            "none",
            user=fresh_mailbox.user,
            bearer=credentials.token,
        )
    )
    # Postfix's EHLO offers both; this one offers XOAUTH2 only.
    original = smtplib.SMTP.ehlo

    def xoauth2_only(conn: smtplib.SMTP, name: str = "") -> tuple[int, bytes]:
        reply = original(conn, name)
        conn.esmtp_features["auth"] = "XOAUTH2"
        return reply

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(smtplib.SMTP, "ehlo", xoauth2_only)
        with sink:
            [result] = sink.deliver([envelope(2, fresh_mailbox.user, fresh_mailbox.user)])

    assert result.outcome is Outcome.SENT
    assert token_server.requests["client_credentials"] - before == 1
    assert sasl_logins(postfix_mta, fresh_mailbox.user) == ["XOAUTH2"]


def test_flush_wrong_client_secret_raises_plain_error(
    settings: Settings,
    ledger: Ledger,
    postfix_mta: Postfix,
    fresh_mailbox: Mailbox,
    token_server: TokenServer,
) -> None:
    config = smtp_oauth(
        oauth_settings(settings, fresh_mailbox, token_server, secret="right"),
        postfix_mta,
        fresh_mailbox,
    )
    token_server.clients[config.oauth2.client_id] = "changed"
    credentials = credentials_for(config, ledger, "smtp")
    sink = outbox.make_sink(config.smtp, credentials)

    with pytest.raises(DeliveryError) as caught, sink:
        sink.deliver([envelope(3, fresh_mailbox.user, fresh_mailbox.user)])  # type: ignore[attr-defined]

    assert caught.value.permanent
    assert str(caught.value).startswith("Microsoft refused mailflow's app registration")
