"""The SMTP and file sinks against a real SMTP server on loopback (tests/support/smtp_server.py)."""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.smtp_server import SmtpTestServer, TlsMaterial, closed_port

from mailflow.answering.sinks import (
    RETRYABLE_CODES,
    DeliveryResult,
    Envelope,
    FileSink,
    Outcome,
    RecipientResult,
    SmtpServer,
    SmtpSink,
    outcome_for,
    wire_format,
)
from mailflow.errors import DeliveryError

SENDER = "wsis@association.test"
MEMBER = "hoa@members.test"
PASSWORD = "s3cret-Pa55"


def make_envelope(number: int = 1, *, recipients: tuple[str, ...] = (MEMBER,)) -> Envelope:
    message_id = f"<confirmation-{number}@association.test>"
    data = (
        f"From: WSIS coordinator <{SENDER}>\r\n"
        f"To: {', '.join(recipients)}\r\n"
        f"Subject: Re: WSIS contribution {number}\r\n"
        f"Message-ID: {message_id}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"Thank you for contribution {number}.\r\n"
        ".a line that starts with a dot\r\n"
    ).encode()
    return Envelope(message_id, SENDER, recipients, data)


@pytest.fixture(params=[True, False], ids=["pipelining", "one-command-at-a-time"])
def smtp_server(request: pytest.FixtureRequest) -> Iterator[SmtpTestServer]:
    """The plain server, once offering PIPELINING (the sink then pipelines) and once not."""
    with SmtpTestServer(pipelining=request.param) as server:
        yield server


def plain_sink(server: SmtpTestServer, **overrides: Any) -> SmtpSink:
    settings = SmtpServer(host=server.host, port=server.port, security="none", timeout=10)
    return SmtpSink(replace(settings, **overrides))


def test_smtp_sink_delivers_exact_bytes(smtp_server: SmtpTestServer) -> None:
    envelope = make_envelope()
    with plain_sink(smtp_server) as sink:
        results = sink.deliver([envelope])

    assert results == [
        DeliveryResult(
            message_id="<confirmation-1@association.test>",
            outcome=Outcome.SENT,
            code=250,
            reply="2.0.0 OK queued as 1",
            recipients=(RecipientResult(MEMBER, 250, "2.0.0 OK queued as 1", Outcome.SENT),),
        )
    ]
    [received] = smtp_server.received
    assert received.mail_from == SENDER
    assert received.rcpt_tos == (MEMBER,)
    assert received.data == envelope.data
    parsed = message_from_bytes(received.data, policy=policy.default)
    assert parsed["Message-ID"] == "<confirmation-1@association.test>"
    assert parsed.get_content() == (
        "Thank you for contribution 1.\r\n.a line that starts with a dot\r\n"
    )


def test_smtp_sink_lf_line_endings_arrive_as_crlf(smtp_server: SmtpTestServer) -> None:
    envelope = make_envelope()
    lf_only = Envelope(
        envelope.message_id, SENDER, (MEMBER,), envelope.data.replace(b"\r\n", b"\n")
    )
    with plain_sink(smtp_server) as sink:
        [result] = sink.deliver([lf_only])

    assert result.outcome is Outcome.SENT
    assert smtp_server.received[0].data == envelope.data


def test_wire_format_normalises_every_line_ending() -> None:
    assert wire_format(b"a\nb\r\nc\rd") == b"a\r\nb\r\nc\r\nd"


@given(st.binary(max_size=500))
def test_wire_format_leaves_no_bare_cr_or_lf(data: bytes) -> None:
    wired = wire_format(data)
    assert wired.replace(b"\r\n", b"").count(b"\r") == 0
    assert wired.replace(b"\r\n", b"").count(b"\n") == 0
    assert wired.replace(b"\r\n", b"") == data.replace(b"\r", b"").replace(b"\n", b"")
    assert wire_format(wired) == wired


def test_wire_format_returns_crlf_data_as_it_is() -> None:
    data = make_envelope().data

    assert wire_format(data) is data


def test_smtp_sink_says_local_hostname_in_ehlo(smtp_server: SmtpTestServer) -> None:
    with plain_sink(smtp_server, local_hostname="mailflow.association.test") as sink:
        sink.deliver([make_envelope()])

    assert smtp_server.received[0].helo == "mailflow.association.test"


def test_smtp_sink_batch_of_10_uses_one_connection(smtp_server: SmtpTestServer) -> None:
    batch = [make_envelope(n) for n in range(1, 11)]
    with plain_sink(smtp_server) as sink:
        results = sink.deliver(batch)

    assert [r.outcome for r in results] == [Outcome.SENT] * 10
    assert [r.message_id for r in results] == [e.message_id for e in batch]
    assert smtp_server.connections == 1
    assert [r.data for r in smtp_server.received] == [e.data for e in batch]


def count_rsets(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count every RSET smtplib sends from now on (one element per RSET)."""
    sent: list[int] = []
    original = smtplib.SMTP.rset

    def rset(self: smtplib.SMTP) -> tuple[int, bytes]:
        sent.append(1)
        return original(self)

    monkeypatch.setattr(smtplib.SMTP, "rset", rset)
    return sent


def test_smtp_sink_batch_sends_no_rset_between_completed_mails(
    smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    rsets = count_rsets(monkeypatch)
    with plain_sink(smtp_server) as sink:
        results = sink.deliver([make_envelope(n) for n in range(1, 11)])

    assert [r.outcome for r in results] == [Outcome.SENT] * 10
    assert rsets == []


def test_smtp_sink_next_batch_checks_the_open_connection_with_one_rset(
    smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with plain_sink(smtp_server) as sink:
        sink.deliver([make_envelope(1)])
        rsets = count_rsets(monkeypatch)
        results = sink.deliver([make_envelope(n) for n in range(2, 6)])

    assert [r.outcome for r in results] == [Outcome.SENT] * 4
    assert rsets == [1]
    assert smtp_server.connections == 1


def test_smtp_sink_mail_after_refused_recipients_is_sent_on_the_same_connection(
    smtp_server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    rsets = count_rsets(monkeypatch)
    smtp_server.fail("RCPT", 550, "5.1.1 User unknown")
    with plain_sink(smtp_server) as sink:
        results = sink.deliver([make_envelope(1), make_envelope(2)])

    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.SENT]
    assert rsets == [1]  # the refused mail left its transaction open
    assert smtp_server.connections == 1
    assert [r.data for r in smtp_server.received] == [make_envelope(2).data]


def test_smtp_sink_next_batch_reuses_the_open_connection(smtp_server: SmtpTestServer) -> None:
    with plain_sink(smtp_server) as sink:
        sink.deliver([make_envelope(1)])
        [result] = sink.deliver([make_envelope(2)])

    assert result.outcome is Outcome.SENT
    assert smtp_server.connections == 1


def test_smtp_sink_reconnects_when_server_hung_up_between_batches(
    smtp_server: SmtpTestServer,
) -> None:
    with plain_sink(smtp_server) as sink:
        sink.deliver([make_envelope(1)])
        smtp_server.hang_up()
        [result] = sink.deliver([make_envelope(2)])

    assert result.outcome is Outcome.SENT
    assert smtp_server.connections == 2
    assert len(smtp_server.received) == 2


def test_smtp_sink_451_on_mail_is_retry_with_code_and_text(smtp_server: SmtpTestServer) -> None:
    smtp_server.fail("MAIL", 451, "4.3.0 Local error in processing, try later")
    with plain_sink(smtp_server) as sink:
        [result] = sink.deliver([make_envelope()])

    assert result.outcome is Outcome.RETRY
    assert result.code == 451
    assert result.reply == "4.3.0 Local error in processing, try later"
    assert result.recipients == (
        RecipientResult(MEMBER, 451, "4.3.0 Local error in processing, try later", Outcome.RETRY),
    )
    assert smtp_server.received == []


def test_smtp_sink_failure_on_one_message_does_not_stop_the_batch(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.fail("MAIL", 451, "4.3.0 try later")
    with plain_sink(smtp_server) as sink:
        results = sink.deliver([make_envelope(1), make_envelope(2)])

    assert [r.outcome for r in results] == [Outcome.RETRY, Outcome.SENT]
    assert smtp_server.connections == 1
    assert [r.data for r in smtp_server.received] == [make_envelope(2).data]


def test_smtp_sink_550_on_rcpt_is_failed_with_server_words(smtp_server: SmtpTestServer) -> None:
    smtp_server.fail("RCPT", 550, "5.1.1 <hoa@members.test>: Recipient address rejected")
    with plain_sink(smtp_server) as sink:
        [result] = sink.deliver([make_envelope()])

    assert result.outcome is Outcome.FAILED
    assert result.code == 550
    assert result.reply == "5.1.1 <hoa@members.test>: Recipient address rejected"
    assert smtp_server.received == []


def test_smtp_sink_one_refused_recipient_of_two_is_sent_and_reported(
    smtp_server: SmtpTestServer,
) -> None:
    envelope = make_envelope(recipients=("gone@members.test", MEMBER))
    smtp_server.fail("RCPT", 550, "5.1.1 User unknown")
    with plain_sink(smtp_server) as sink:
        [result] = sink.deliver([envelope])

    assert result.outcome is Outcome.SENT
    assert result.code == 250
    assert result.recipients == (
        RecipientResult("gone@members.test", 550, "5.1.1 User unknown", Outcome.FAILED),
        RecipientResult(MEMBER, 250, "2.0.0 OK queued as 1", Outcome.SENT),
    )
    assert result.refused == (
        RecipientResult("gone@members.test", 550, "5.1.1 User unknown", Outcome.FAILED),
    )
    assert smtp_server.received[0].rcpt_tos == (MEMBER,)


def test_smtp_sink_all_recipients_refused_temporarily_is_retry(
    smtp_server: SmtpTestServer,
) -> None:
    envelope = make_envelope(recipients=("a@members.test", "b@members.test"))
    smtp_server.fail("RCPT", 452, "4.2.2 Mailbox full", times=None)
    with plain_sink(smtp_server) as sink:
        [result] = sink.deliver([envelope])

    assert result.outcome is Outcome.RETRY
    assert (result.code, result.reply) == (452, "4.2.2 Mailbox full")
    assert [r.outcome for r in result.recipients] == [Outcome.RETRY, Outcome.RETRY]


def test_smtp_sink_every_recipient_refused_one_temporarily_is_retry(
    smtp_server: SmtpTestServer,
) -> None:
    envelope = make_envelope(recipients=("a@members.test", "b@members.test"))
    smtp_server.fail("RCPT", 550, "5.1.1 User unknown")
    smtp_server.fail("RCPT", 452, "4.2.2 Mailbox full")
    with plain_sink(smtp_server) as sink:
        [result] = sink.deliver([envelope])

    assert result.outcome is Outcome.RETRY
    assert (result.code, result.reply) == (452, "4.2.2 Mailbox full")
    assert result.recipients == (
        RecipientResult("a@members.test", 550, "5.1.1 User unknown", Outcome.FAILED),
        RecipientResult("b@members.test", 452, "4.2.2 Mailbox full", Outcome.RETRY),
    )


def test_smtp_sink_all_recipients_refused_permanently_is_failed(
    smtp_server: SmtpTestServer,
) -> None:
    envelope = make_envelope(recipients=("a@members.test", "b@members.test"))
    smtp_server.fail("RCPT", 550, "5.1.1 User unknown", times=2)
    with plain_sink(smtp_server) as sink:
        [result] = sink.deliver([envelope])

    assert result.outcome is Outcome.FAILED
    assert (result.code, result.reply) == (550, "5.1.1 User unknown")
    assert smtp_server.received == []


def test_smtp_sink_552_after_data_is_failed(smtp_server: SmtpTestServer) -> None:
    smtp_server.fail("DATA", 552, "5.3.4 Message too big for system")
    with plain_sink(smtp_server) as sink:
        [result] = sink.deliver([make_envelope()])

    assert result.outcome is Outcome.FAILED
    assert (result.code, result.reply) == (552, "5.3.4 Message too big for system")
    assert result.recipients == (
        RecipientResult(MEMBER, 552, "5.3.4 Message too big for system", Outcome.FAILED),
    )


def test_smtp_sink_failure_until_reset_applies_to_every_message(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.fail("MAIL", 450, "4.7.1 rate limited", times=None)
    with plain_sink(smtp_server) as sink:
        first = sink.deliver([make_envelope(1), make_envelope(2), make_envelope(3)])
        smtp_server.reset()
        second = sink.deliver([make_envelope(4)])

    assert [r.outcome for r in first] == [Outcome.RETRY] * 3
    assert [r.outcome for r in second] == [Outcome.SENT]


def test_smtp_sink_421_on_mail_is_retry_and_next_message_gets_new_connection(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.fail("MAIL", 421, "4.3.2 Service shutting down")
    with plain_sink(smtp_server) as sink:
        results = sink.deliver([make_envelope(1), make_envelope(2)])

    assert [(r.outcome, r.code) for r in results] == [(Outcome.RETRY, 421), (Outcome.SENT, 250)]
    assert smtp_server.connections == 2


def test_smtp_sink_drop_during_data_is_retry_and_next_batch_works(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.drop_during_data()
    with plain_sink(smtp_server) as sink:
        [dropped] = sink.deliver([make_envelope(1)])
        [again] = sink.deliver([make_envelope(1)])

    assert dropped.outcome is Outcome.RETRY
    assert dropped.code is None
    assert dropped.reply.startswith("connection lost during DATA")
    assert again.outcome is Outcome.SENT
    assert [r.data for r in smtp_server.received] == [make_envelope(1).data]


def test_smtp_sink_two_drops_in_a_row_leave_the_rest_of_the_batch_for_later(
    smtp_server: SmtpTestServer,
) -> None:
    smtp_server.drop_during_data(times=5)
    with plain_sink(smtp_server) as sink:
        results = sink.deliver([make_envelope(n) for n in range(1, 5)])

    assert [r.outcome for r in results] == [Outcome.RETRY] * 4
    assert smtp_server.connections == 2
    assert results[3].reply.startswith("not tried: connection lost during DATA")


def test_smtp_sink_server_down_is_retry_for_every_message() -> None:
    port = closed_port()
    sink = SmtpSink(SmtpServer(host="127.0.0.1", port=port, security="none", timeout=5))
    results = sink.deliver([make_envelope(1), make_envelope(2), make_envelope(3)])
    sink.close()

    assert [(r.outcome, r.code) for r in results] == [(Outcome.RETRY, None)] * 3
    assert results[0].reply.startswith(f"cannot reach 127.0.0.1:{port}: ")
    assert [r.message_id for r in results] == [make_envelope(n).message_id for n in (1, 2, 3)]


def test_smtp_sink_empty_batch_opens_no_connection(smtp_server: SmtpTestServer) -> None:
    with plain_sink(smtp_server) as sink:
        assert sink.deliver([]) == []
    assert smtp_server.connections == 0


def test_smtp_sink_auth_logs_in_and_password_is_never_logged(
    auth_smtp_server: SmtpTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with plain_sink(auth_smtp_server, user=SENDER, password=PASSWORD) as sink:
        [result] = sink.deliver([make_envelope()])

    assert result.outcome is Outcome.SENT
    assert auth_smtp_server.received[0].login == SENDER
    assert "AUTH as wsis@association.test" in caplog.messages
    assert PASSWORD not in caplog.text  # every logger, the test server's included
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("mailflow"))
    assert "Thank you" not in ours  # no message bodies either


def test_smtp_sink_auth_refused_for_now_is_tried_once_more_on_the_same_connection(
    auth_smtp_server: SmtpTestServer,
) -> None:
    # smtplib tries PLAIN, then LOGIN: both refused for now, the sink's second try gets through.
    auth_smtp_server.fail("AUTH", 454, "4.7.0 Temporary authentication failure", times=2)

    with plain_sink(auth_smtp_server, user=SENDER, password=PASSWORD) as sink:
        [result] = sink.deliver([make_envelope()])

    assert (result.outcome, auth_smtp_server.connections) == (Outcome.SENT, 1)
    assert auth_smtp_server.received[0].login == SENDER


def test_smtp_sink_auth_refused_for_now_twice_is_retry_for_every_message(
    auth_smtp_server: SmtpTestServer,
) -> None:
    auth_smtp_server.fail("AUTH", 454, "4.7.0 Temporary authentication failure", times=None)

    with plain_sink(auth_smtp_server, user=SENDER, password=PASSWORD) as sink:
        results = sink.deliver([make_envelope(1), make_envelope(2)])

    assert [(r.outcome, r.code) for r in results] == [(Outcome.RETRY, 454)] * 2
    assert auth_smtp_server.received == []


def test_smtp_sink_without_auth_is_refused_by_auth_server(
    auth_smtp_server: SmtpTestServer,
) -> None:
    with plain_sink(auth_smtp_server) as sink:
        [result] = sink.deliver([make_envelope()])

    assert (result.outcome, result.code) == (Outcome.FAILED, 530)


def test_smtp_sink_wrong_password_raises_delivery_error_without_the_password(
    auth_smtp_server: SmtpTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with (
        plain_sink(auth_smtp_server, user=SENDER, password="wrong-Pa55word") as sink,
        pytest.raises(DeliveryError) as raised,
    ):
        sink.deliver([make_envelope()])

    assert raised.value.code == 535
    assert raised.value.permanent is True
    assert str(raised.value).startswith(
        f"127.0.0.1:{auth_smtp_server.port} refused the credentials of {SENDER}: 535"
    )
    assert "wrong-Pa55word" not in str(raised.value)
    assert "wrong-Pa55word" not in caplog.text


def test_smtp_settings_repr_hides_the_password() -> None:
    settings = SmtpServer("smtp.test", 587, "starttls", user=SENDER, password=PASSWORD)
    assert PASSWORD not in repr(settings)
    assert "password='***'" not in repr(settings)
    assert "password=***" in repr(settings)


def test_smtp_sink_refuses_password_in_the_clear_to_a_remote_host() -> None:
    settings = SmtpServer("smtp.example.org", 25, "none", user=SENDER, password=PASSWORD)
    with pytest.raises(DeliveryError) as raised:
        SmtpSink(settings)
    assert str(raised.value) == (
        "refusing to send the SMTP password unencrypted to smtp.example.org; "
        "use security = ssl or starttls"
    )


def test_smtp_sink_unknown_security_raises_delivery_error() -> None:
    with pytest.raises(DeliveryError) as raised:
        SmtpSink(SmtpServer("smtp.test", 25, "tls"))
    assert str(raised.value) == "smtp.security must be one of ssl, starttls, none, not 'tls'"


def test_smtp_sink_refuses_a_context_that_does_not_verify() -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with pytest.raises(DeliveryError):
        SmtpSink(SmtpServer("smtp.test", 465, "ssl"), ssl_context=context)


def test_smtp_sink_missing_ca_file_raises_delivery_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(DeliveryError) as raised:
        SmtpSink(SmtpServer("smtp.test", 465, "ssl", ca_file=str(missing)))
    assert str(raised.value).startswith(f"smtp.ca_file '{missing}' cannot be loaded: ")


def test_smtp_sink_starttls_not_offered_raises_delivery_error(
    smtp_server: SmtpTestServer,
) -> None:
    sink = SmtpSink(SmtpServer(smtp_server.host, smtp_server.port, "starttls", timeout=10))
    with pytest.raises(DeliveryError) as raised:
        sink.deliver([make_envelope()])
    sink.close()

    assert str(raised.value) == (
        f"127.0.0.1:{smtp_server.port} does not offer STARTTLS; refusing to continue in the clear"
    )
    assert smtp_server.received == []


@pytest.mark.parametrize(
    ("fixture", "security"), [("starttls_smtp_server", "starttls"), ("tls_smtp_server", "ssl")]
)
def test_smtp_sink_tls_without_the_ca_is_retry_and_visible(
    fixture: str,
    security: str,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server: SmtpTestServer = request.getfixturevalue(fixture)
    sink = SmtpSink(SmtpServer(server.host, server.port, security, timeout=10))
    results = sink.deliver([make_envelope(1), make_envelope(2)])
    sink.close()

    assert [r.outcome for r in results] == [Outcome.RETRY, Outcome.RETRY]
    assert results[0].reply.startswith(
        f"TLS certificate verification failed for 127.0.0.1:{server.port}: "
    )
    assert results[0].reply.endswith("(fix the server certificate or set smtp.ca_file)")
    assert [r.levelname for r in caplog.records if "verification failed" in r.message] == [
        "WARNING"
    ]
    assert server.received == []


@pytest.mark.parametrize(
    ("fixture", "security"), [("starttls_smtp_server", "starttls"), ("tls_smtp_server", "ssl")]
)
def test_smtp_sink_tls_with_ca_file_delivers(
    fixture: str, security: str, request: pytest.FixtureRequest, tls_ca: TlsMaterial
) -> None:
    server: SmtpTestServer = request.getfixturevalue(fixture)
    settings = SmtpServer(
        server.host, server.port, security, timeout=10, ca_file=str(tls_ca.ca_file)
    )
    with SmtpSink(settings) as sink:
        results = sink.deliver([make_envelope(1), make_envelope(2)])

    assert [r.outcome for r in results] == [Outcome.SENT, Outcome.SENT]
    assert [r.tls for r in server.received] == [True, True]
    assert server.connections == 1


def test_smtp_sink_tls_certificate_for_another_name_is_refused(tls_ca: TlsMaterial) -> None:
    elsewhere = tls_ca.ca.issue_cert("elsewhere.test")
    with SmtpTestServer(tls="implicit", certificate=elsewhere) as server:
        settings = SmtpServer(
            server.host, server.port, "ssl", timeout=10, ca_file=str(tls_ca.ca_file)
        )
        with SmtpSink(settings) as sink:
            [result] = sink.deliver([make_envelope()])

    assert result.outcome is Outcome.RETRY
    assert result.reply.startswith(
        f"TLS certificate verification failed for 127.0.0.1:{server.port}: IP address mismatch"
    )
    assert server.received == []


def test_smtp_sink_non_ascii_addresses_use_smtputf8(smtp_server: SmtpTestServer) -> None:
    envelope = Envelope(
        "<utf8@association.test>",
        "điều-phối@hội.test",
        ("thư-viện@hội.test",),
        "Subject: Xin chào\r\n\r\nCảm ơn.\r\n".encode(),
    )
    with plain_sink(smtp_server) as sink:
        [result] = sink.deliver([envelope])

    assert result.outcome is Outcome.SENT
    [received] = smtp_server.received
    assert received.mail_from == "điều-phối@hội.test"
    assert received.rcpt_tos == ("thư-viện@hội.test",)
    assert received.mail_options == (f"SIZE={len(envelope.data)}", "BODY=8BITMIME", "SMTPUTF8")
    assert received.data == envelope.data


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (250, Outcome.SENT),
        (251, Outcome.SENT),
        (421, Outcome.RETRY),
        (451, Outcome.RETRY),
        (452, Outcome.RETRY),
        (550, Outcome.FAILED),
        (554, Outcome.FAILED),
        (None, Outcome.RETRY),
        (354, Outcome.RETRY),
    ],
)
def test_outcome_for_classifies_reply_codes(code: int | None, outcome: Outcome) -> None:
    assert outcome_for(code) is outcome


def test_retryable_codes_are_exactly_the_4xx_codes() -> None:
    assert min(RETRYABLE_CODES) == 400
    assert max(RETRYABLE_CODES) == 499
    assert len(RETRYABLE_CODES) == 100


def test_file_sink_writes_parseable_eml(tmp_path: Path) -> None:
    envelope = make_envelope()
    sink = FileSink(tmp_path / "outbox")
    [result] = sink.deliver([envelope])

    [written] = sorted((tmp_path / "outbox").iterdir())
    assert result == DeliveryResult(
        envelope.message_id,
        Outcome.SENT,
        None,
        f"written to {written}",
        (RecipientResult(MEMBER, None, f"written to {written}", Outcome.SENT),),
    )
    assert written.name.endswith("-confirmation-1@association.test-" + _digest(envelope) + ".eml")
    assert written.read_bytes() == envelope.data
    parsed = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == envelope.message_id
    assert parsed["Subject"] == "Re: WSIS contribution 1"


def _digest(envelope: Envelope) -> str:
    return FileSink.safe_name(envelope.message_id).rsplit("-", 1)[1]


def test_file_sink_same_message_twice_leaves_one_file(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    [first] = sink.deliver([make_envelope()])
    [second] = sink.deliver([make_envelope()])

    [written] = list(tmp_path.iterdir())
    assert first.outcome is second.outcome is Outcome.SENT
    assert second.reply == f"already written to {written}"


def test_file_sink_distinct_messages_get_distinct_files(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    results = sink.deliver([make_envelope(n) for n in range(1, 4)])

    assert [r.outcome for r in results] == [Outcome.SENT] * 3
    assert len(list(tmp_path.iterdir())) == 3
    assert sink.path_for(make_envelope(2).message_id) is not None
    assert sink.path_for("<never-sent@association.test>") is None


def test_file_sink_unwritable_folder_is_retry(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "outbox")
    (tmp_path / "outbox").rmdir()
    (tmp_path / "outbox").write_text("a file where the folder was")
    [result] = sink.deliver([make_envelope()])

    assert result.outcome is Outcome.RETRY
    assert result.reply.startswith(f"cannot write to {tmp_path / 'outbox'}: ")


def test_file_sink_safe_name_for_hostile_message_id() -> None:
    name = FileSink.safe_name("<../../etc/passwd\x00 x@evil.test>")
    assert name.startswith("etc_passwd_x@evil.test-")
    assert "/" not in name


@given(st.text(max_size=300), st.text(max_size=300))
def test_file_sink_safe_name_is_safe_and_distinct(first: str, second: str) -> None:
    one, two = FileSink.safe_name(first), FileSink.safe_name(second)
    assert all(c.isascii() and (c.isalnum() or c in "._@+=-") for c in one)
    assert not one.startswith(".")
    assert len(one) <= 91
    if first != second:
        assert one != two


def test_smtp_sink_drop_at_mail_on_reused_connection_reconnects_once(
    smtp_server: SmtpTestServer,
) -> None:
    with plain_sink(smtp_server) as sink:
        sink.deliver([make_envelope(1)])
        smtp_server.drop_at("MAIL")
        [result] = sink.deliver([make_envelope(2)])

    assert result.outcome is Outcome.SENT
    assert smtp_server.connections == 2
    assert [r.data for r in smtp_server.received] == [make_envelope(n).data for n in (1, 2)]


def test_smtp_sink_drop_at_mail_twice_on_reused_connection_is_retry(
    smtp_server: SmtpTestServer,
) -> None:
    with plain_sink(smtp_server) as sink:
        sink.deliver([make_envelope(1)])
        smtp_server.drop_at("MAIL", times=2)
        [result] = sink.deliver([make_envelope(2)])

    assert result.outcome is Outcome.RETRY
    assert result.reply.startswith("connection lost at MAIL FROM: ")
    assert smtp_server.connections == 2


def test_smtp_sink_drop_at_rcpt_on_fresh_connection_is_retry(smtp_server: SmtpTestServer) -> None:
    smtp_server.drop_at("RCPT")
    with plain_sink(smtp_server) as sink:
        results = sink.deliver([make_envelope(1), make_envelope(2)])

    assert [r.outcome for r in results] == [Outcome.RETRY, Outcome.SENT]
    assert results[0].reply.startswith("connection lost at RCPT TO: ")
    assert smtp_server.connections == 2


def test_smtp_sink_server_that_never_greets_is_retry_for_every_message() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections in the kernel, never says 220
        port = silent.getsockname()[1]
        sink = SmtpSink(SmtpServer("127.0.0.1", port, "none", timeout=0.5))
        results = sink.deliver([make_envelope(1), make_envelope(2)])
        sink.close()

    assert [(r.outcome, r.code) for r in results] == [(Outcome.RETRY, None)] * 2
    assert results[0].reply == (
        f"cannot reach 127.0.0.1:{port}: Connection unexpectedly closed: timed out"
    )


def test_smtp_sink_non_ascii_address_without_smtputf8_is_failed() -> None:
    envelope = Envelope("<utf8@association.test>", SENDER, ("thư-viện@hội.test",), b"\r\n")
    with SmtpTestServer(smtputf8=False) as server, plain_sink(server) as sink:
        [result] = sink.deliver([envelope])

    assert result.outcome is Outcome.FAILED
    assert result.code is None
    assert result.reply == (
        f"127.0.0.1:{server.port} does not support SMTPUTF8, needed for non-ASCII addresses"
    )


def test_smtp_sink_envelope_without_recipients_is_failed(smtp_server: SmtpTestServer) -> None:
    envelope = Envelope("<nobody@association.test>", SENDER, (), make_envelope().data)
    with plain_sink(smtp_server) as sink:
        results = sink.deliver([envelope, make_envelope(2)])

    assert [(r.outcome, r.reply) for r in results] == [
        (Outcome.FAILED, "no recipients"),
        (Outcome.SENT, "2.0.0 OK queued as 1"),
    ]


def test_smtp_sink_without_user_does_not_authenticate(smtp_server: SmtpTestServer) -> None:
    with plain_sink(smtp_server) as sink:
        sink.deliver([make_envelope()])

    assert smtp_server.received[0].login is None


def test_smtp_sink_delivers_again_after_close(smtp_server: SmtpTestServer) -> None:
    sink = plain_sink(smtp_server)
    sink.deliver([make_envelope(1)])
    sink.close()
    sink.close()
    [result] = sink.deliver([make_envelope(2)])
    sink.close()

    assert result.outcome is Outcome.SENT
    assert smtp_server.connections == 2


def _scripted_server(listener: socket.socket, seen: list[bytes]) -> None:
    """An SMTP server that offers PIPELINING and answers MAIL, RCPT and DATA only once all three
    arrived: a client that waits for each reply before the next command gets no answer."""
    conn, _ = listener.accept()
    with conn, conn.makefile("rb") as lines:
        conn.sendall(b"220 scripted ESMTP\r\n")
        lines.readline()  # EHLO
        conn.sendall(b"250-scripted\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
        seen.extend(lines.readline() for _ in range(3))  # MAIL, RCPT, DATA: no reply yet
        conn.sendall(b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n")
        while (line := lines.readline()) not in (b".\r\n", b""):
            seen.append(line)
        conn.sendall(b"250 2.0.0 Ok: queued as 1\r\n")
        if lines.readline().upper().startswith(b"QUIT"):
            conn.sendall(b"221 2.0.0 Bye\r\n")


def test_smtp_sink_sends_mail_rcpt_and_data_together_to_a_pipelining_server() -> None:
    seen: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        server = threading.Thread(target=_scripted_server, args=(listener, seen), daemon=True)
        server.start()
        settings = SmtpServer(
            host="127.0.0.1", port=listener.getsockname()[1], security="none", timeout=5
        )
        with SmtpSink(settings) as sink:
            [result] = sink.deliver([make_envelope(1)])
        server.join(5)

    assert (result.outcome, result.code) == (Outcome.SENT, 250)
    assert seen[:3] == [
        f"MAIL FROM:<{SENDER}>\r\n".encode(),  # the server offers no SIZE
        f"RCPT TO:<{MEMBER}>\r\n".encode(),
        b"DATA\r\n",
    ]
    assert b"..a line that starts with a dot\r\n" in seen[3:]
