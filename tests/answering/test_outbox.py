"""The outbox: its state machine, delivery through a real SMTP server, retries, bounces."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select
from support.smtp_server import SmtpTestServer

from mailflow import pipeline
from mailflow.answering import outbox
from mailflow.answering.sinks import DeliveryResult, Envelope, OnResult, Sink
from mailflow.config import Secret, Settings, SmtpSettings
from mailflow.errors import ConfigError, DeliveryError, NotFoundError, NotSentError, StateError
from mailflow.ledger import Ledger
from mailflow.ledger.models import MemberAddress, OutboxMail
from mailflow.states import OutboxState, move


def smtp_to(settings: Settings, server: SmtpTestServer, **changes: object) -> Settings:
    smtp = SmtpSettings(
        host=server.host,
        port=server.port,
        security="none",
        user="",
        from_="WSIS coordinator <wsis@association.test>",
        retry_base_s=60,
        max_attempts=3,
    )
    return dataclasses.replace(settings, smtp=dataclasses.replace(smtp, **changes))  # type: ignore[arg-type]


def queue_one(ledger: Ledger, n: int = 1, recipient: str = "hoa@members.test") -> str:
    message_id = f"<confirm-{n}@association.test>"
    data = (
        f"From: wsis@association.test\r\nTo: {recipient}\r\nSubject: Re: contribution\r\n"
        f"Message-ID: {message_id}\r\n\r\nThank you.\r\n"
    ).encode()
    with ledger.transaction() as session:
        outbox.queue(
            session,
            kind="confirmation",
            message_id=message_id,
            sender="wsis@association.test",
            recipient=recipient,
            subject="Re: contribution",
            data=data,
        )
    return message_id


def row(ledger: Ledger, message_id: str) -> OutboxMail:
    with ledger.transaction() as session:
        mail = session.scalars(select(OutboxMail).where(OutboxMail.message_id == message_id)).one()
        session.expunge(mail)
        return mail


def test_flush_delivers_exact_bytes_once(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    message_id = queue_one(ledger)
    config = smtp_to(settings, smtp_server)

    first = outbox.flush(config, ledger)
    second = outbox.flush(config, ledger)

    assert (first, second) == ({"sent": 1}, {})
    assert len(smtp_server.received) == 1
    received = message_from_bytes(smtp_server.received[0].data, policy=policy.default)
    assert received["Message-ID"] == message_id
    mail = row(ledger, message_id)
    assert (mail.state, mail.attempts, mail.smtp_code) == ("sent", 1, 250)


def test_flush_451_retries_later_then_delivers(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    message_id = queue_one(ledger)
    config = smtp_to(settings, smtp_server)
    smtp_server.fail("MAIL", 451, "4.3.0 try again later")
    now = datetime.now(UTC)

    assert outbox.flush(config, ledger, now=now) == {"retry": 1}
    mail = row(ledger, message_id)
    assert (mail.state, mail.attempts, mail.smtp_code) == ("queued", 1, 451)
    assert "try again later" in mail.last_error
    assert mail.next_attempt_at == now + timedelta(seconds=60)
    assert outbox.flush(config, ledger, now=now) == {}  # not due yet

    assert outbox.flush(config, ledger, now=now + timedelta(seconds=61)) == {"sent": 1}
    assert row(ledger, message_id).state == "sent"
    assert len(smtp_server.received) == 1


def test_flush_records_every_outcome_of_one_batch(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    retried, failed, sent = (queue_one(ledger, n, f"m{n}@members.test") for n in (1, 2, 3))
    smtp_server.fail("MAIL", 451, "4.3.0 try again later")
    smtp_server.fail("RCPT", 550, "5.1.1 no such mailbox")
    now = datetime.now(UTC)

    assert outbox.flush(smtp_to(settings, smtp_server), ledger, now=now) == {
        "retry": 1,
        "failed": 1,
        "sent": 1,
    }

    one, two, three = row(ledger, retried), row(ledger, failed), row(ledger, sent)
    assert (one.state, one.attempts, one.smtp_code, one.last_error) == (
        "queued",
        1,
        451,
        "4.3.0 try again later",
    )
    assert (one.next_attempt_at, one.sent_at) == (now + timedelta(seconds=60), None)
    assert (two.state, two.attempts, two.smtp_code, two.last_error) == (
        "failed",
        1,
        550,
        "5.1.1 no such mailbox",
    )
    assert (three.state, three.attempts, three.smtp_code, three.last_error) == ("sent", 1, 250, "")
    assert three.sent_at == now
    assert [m.rcpt_tos for m in smtp_server.received] == [("m3@members.test",)]


def test_flush_ignoring_the_schedule_tries_a_retried_mail_once(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    retried, sent = queue_one(ledger, 1), queue_one(ledger, 2)
    smtp_server.fail("MAIL", 451, "4.3.0 try again later")

    counts = outbox.flush(smtp_to(settings, smtp_server), ledger, ignore_schedule=True)

    assert counts == {"retry": 1, "sent": 1}
    assert (row(ledger, retried).state, row(ledger, retried).attempts) == ("queued", 1)
    assert (row(ledger, sent).state, row(ledger, sent).attempts) == ("sent", 1)


class TakenOverDuringDelivery:
    """A sink that, while delivering, lets "another process" mark every mail of the batch sent."""

    def __init__(self, inner: Sink, ledger: Ledger) -> None:
        self.inner, self.ledger = inner, ledger

    def deliver(
        self, batch: Sequence[Envelope], on_result: OnResult | None = None
    ) -> list[DeliveryResult]:
        with self.ledger.transaction() as session:
            for mail in session.scalars(select(OutboxMail)):
                move(mail, OutboxState.SENT)
                mail.smtp_reply = "sent by the other process"
        return self.inner.deliver(batch, on_result)

    def close(self) -> None:
        self.inner.close()


def test_flush_leaves_a_row_another_process_recorded_as_it_is(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    message_id = queue_one(ledger)
    config = smtp_to(settings, smtp_server)
    sink = TakenOverDuringDelivery(outbox.make_sink(config.smtp), ledger)
    smtp_server.fail("RCPT", 550, "5.1.1 no such mailbox")

    try:
        assert outbox.flush(config, ledger, sink=sink) == {"failed": 1}
    finally:
        sink.close()

    mail = row(ledger, message_id)
    assert (mail.state, mail.smtp_reply) == ("sent", "sent by the other process")


def test_flush_550_fails_with_the_servers_words(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    message_id = queue_one(ledger)
    smtp_server.fail("RCPT", 550, "5.1.1 no such mailbox")

    assert outbox.flush(smtp_to(settings, smtp_server), ledger) == {"failed": 1}

    mail = row(ledger, message_id)
    assert (mail.state, mail.smtp_code) == ("failed", 550)
    assert "no such mailbox" in mail.last_error


def test_flush_gives_up_after_the_last_attempt(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    message_id = queue_one(ledger)
    config = smtp_to(settings, smtp_server, max_attempts=2)
    smtp_server.fail("MAIL", 421, "4.7.0 closing", times=5)
    now = datetime.now(UTC)

    assert outbox.flush(config, ledger, now=now) == {"retry": 1}
    assert outbox.flush(config, ledger, now=now + timedelta(hours=1)) == {"failed": 1}
    assert row(ledger, message_id).attempts == 2


def test_flush_server_down_keeps_mail_queued(settings: Settings, ledger: Ledger) -> None:
    message_id = queue_one(ledger)
    config = dataclasses.replace(
        settings,
        smtp=SmtpSettings(
            host="127.0.0.1", port=1, security="none", user="", from_="w <wsis@association.test>"
        ),
    )
    assert outbox.flush(config, ledger) == {"retry": 1}
    assert row(ledger, message_id).state == "queued"


def test_flush_resends_rows_left_sending_by_a_crash_with_the_same_message_id(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    message_id = queue_one(ledger)
    crashed_at = datetime.now(UTC) - outbox.SENDING_LEASE - timedelta(seconds=1)
    with ledger.transaction() as session:  # as a process that died after claiming the row
        mail = session.scalars(select(OutboxMail)).one()
        move(mail, OutboxState.SENDING)
        mail.updated_at = crashed_at

    assert outbox.flush(smtp_to(settings, smtp_server), ledger) == {"sent": 1}
    received = message_from_bytes(smtp_server.received[0].data, policy=policy.default)
    assert received["Message-ID"] == message_id


def test_flush_leaves_a_fresh_sending_row_to_its_process(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    queue_one(ledger)
    with ledger.transaction() as session:
        mail = session.scalars(select(OutboxMail)).one()
        move(mail, OutboxState.SENDING)
        mail.updated_at = datetime.now(UTC)

    assert outbox.flush(smtp_to(settings, smtp_server), ledger) == {}
    assert smtp_server.received == []


def test_mark_bounced_marks_mail_and_address(ledger: Ledger) -> None:
    from mailflow import members

    message_id = queue_one(ledger, recipient="gone@members.test")
    with ledger.transaction() as session:
        members.upsert(session, ["gone@members.test"], name="Gone")
        mail = session.scalars(select(OutboxMail)).one()
        move(mail, OutboxState.SENDING)
        move(mail, OutboxState.SENT)
    with ledger.transaction() as session:
        bounced = outbox.mark_bounced(
            session, [message_id], ["gone@members.test"], permanent=True, at=datetime.now(UTC)
        )
        assert [m.message_id for m in bounced] == [message_id]
    with ledger.transaction() as session:
        assert session.scalars(select(OutboxMail.state)).one() == "bounced"
        address = session.scalars(select(MemberAddress)).one()
        assert address.undeliverable_at is not None


def test_mark_bounced_ignores_delay_notices(ledger: Ledger) -> None:
    message_id = queue_one(ledger)
    with ledger.transaction() as session:
        assert (
            outbox.mark_bounced(session, [message_id], [], permanent=False, at=datetime.now(UTC))
            == []
        )


def test_poll_bounce_of_a_confirmation_marks_it_bounced(
    settings: Settings, ledger: Ledger, tmp_path: object
) -> None:
    from pathlib import Path

    from mailflow import members

    with ledger.transaction() as session:
        members.upsert(session, ["hoa@members.test"], name="Hoa", language="vi")
    maildir = Path(settings.imap.maildir)
    contribution = (
        b"From: Hoa <hoa@members.test>\r\nTo: wsis@association.test\r\n"
        b"Subject: WSIS\r\nMessage-ID: <c1@members.test>\r\n\r\n"
        b"Action lines: C3\r\nWhy: we lend e-readers. https://lib.example.org\r\n"
    )
    (maildir / "new" / "1.contribution").write_bytes(contribution)
    pipeline.run_once(settings, ledger)
    with ledger.transaction() as session:
        confirmation_id = session.scalars(select(OutboxMail.message_id)).one()
    bounce = (
        "From: MAILER-DAEMON@association.test\r\nTo: wsis@association.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@association.test>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; association.test\r\n\r\n"
        "Final-Recipient: rfc822; hoa@members.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {confirmation_id}\r\nTo: hoa@members.test\r\n\r\n--b--\r\n"
    ).encode()
    (maildir / "new" / "2.bounce").write_bytes(bounce)

    summary = pipeline.run_once(settings, ledger)

    assert summary.kinds == {"bounce": 1}
    with ledger.transaction() as session:
        assert session.scalars(select(OutboxMail.state)).one() == "bounced"
        assert session.scalars(select(MemberAddress.undeliverable_at)).one() is not None


def test_flush_smtp_user_without_password_refuses_and_keeps_mail_queued(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    message_id = queue_one(ledger)
    config = smtp_to(settings, smtp_server, user="wsis@association.test")

    with pytest.raises(NotSentError) as caught:
        outbox.flush(config, ledger)

    reason = "smtp.user is set but MAILFLOW_SMTP_PASSWORD is not"
    assert str(caught.value) == f"1 mail not sent: {reason}"
    assert isinstance(caught.value.__cause__, ConfigError)
    mail = row(ledger, message_id)
    assert (mail.state, mail.attempts, mail.last_error) == ("queued", 0, reason)
    assert smtp_server.received == []
    assert smtp_server.connections == 0


def test_flush_credentials_refused_keeps_mail_queued_without_counting_an_attempt(
    settings: Settings, ledger: Ledger, auth_smtp_server: SmtpTestServer
) -> None:
    message_id = queue_one(ledger)
    config = smtp_to(
        settings, auth_smtp_server, user="wsis@association.test", password=Secret("wrong")
    )

    with pytest.raises(DeliveryError):
        outbox.flush(config, ledger)

    mail = row(ledger, message_id)
    assert (mail.state, mail.attempts) == ("queued", 0)


def test_flush_untrusted_certificate_never_fails_the_mail(
    settings: Settings, ledger: Ledger, tls_smtp_server: SmtpTestServer
) -> None:
    message_id = queue_one(ledger)
    config = smtp_to(settings, tls_smtp_server, security="ssl", max_attempts=2)

    outcomes = [outbox.flush(config, ledger, ignore_schedule=True) for _ in range(3)]

    assert outcomes == [{"retry": 1}] * 3
    mail = row(ledger, message_id)
    assert (mail.state, mail.attempts) == ("queued", 0)
    assert mail.last_error.startswith("TLS certificate verification failed")


def test_retry_puts_failed_mail_back_in_the_queue(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    message_id = queue_one(ledger)
    config = smtp_to(settings, smtp_server)
    smtp_server.fail("MAIL", 550, "5.1.1 no such user")
    assert outbox.flush(config, ledger) == {"failed": 1}
    failed_id = row(ledger, message_id).id

    with ledger.transaction() as session:
        retried = [m.id for m in outbox.retry(session, [failed_id], now=datetime.now(UTC))]
    sent = outbox.flush(config, ledger)

    assert retried == [failed_id]
    assert sent == {"sent": 1}
    mail = row(ledger, message_id)
    assert (mail.state, mail.attempts) == ("sent", 1)


def test_retry_all_failed_takes_only_failed_rows(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    first, second, third = (queue_one(ledger, n) for n in (1, 2, 3))
    config = smtp_to(settings, smtp_server)
    smtp_server.fail("MAIL", 550, "5.1.1 no such user", times=2)
    assert outbox.flush(config, ledger) == {"failed": 2, "sent": 1}

    with ledger.transaction() as session:
        retried = [
            m.message_id for m in outbox.retry(session, all_failed=True, now=datetime.now(UTC))
        ]

    assert retried == [first, second]
    assert [row(ledger, m).state for m in (first, second, third)] == ["queued", "queued", "sent"]


def test_retry_of_a_sent_mail_is_refused(
    settings: Settings, ledger: Ledger, smtp_server: SmtpTestServer
) -> None:
    message_id = queue_one(ledger)
    assert outbox.flush(smtp_to(settings, smtp_server), ledger) == {"sent": 1}

    with ledger.transaction() as session, pytest.raises(StateError):
        outbox.retry(session, [row(ledger, message_id).id], now=datetime.now(UTC))

    assert row(ledger, message_id).state == "sent"


def test_retry_of_an_unknown_id_is_not_found(ledger: Ledger) -> None:
    with ledger.transaction() as session, pytest.raises(NotFoundError) as caught:
        outbox.retry(session, [999], now=datetime.now(UTC))

    assert str(caught.value) == "no outbox mail with id 999"


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"from_": "WSIS coordinator <wsis@association.example>"}, "smtp.from"),
        ({"reply_to": "desk@example.org"}, "smtp.reply_to"),
    ],
)
def test_flush_refuses_to_send_from_an_example_address(
    settings: Settings,
    ledger: Ledger,
    smtp_server: SmtpTestServer,
    changes: dict[str, str],
    key: str,
) -> None:
    message_id = queue_one(ledger)

    with pytest.raises(NotSentError) as caught:
        outbox.flush(smtp_to(settings, smtp_server, **changes), ledger)

    cause = caught.value.__cause__
    assert isinstance(cause, ConfigError) and cause.key == key
    assert row(ledger, message_id).state == "queued"
    assert smtp_server.received == []
