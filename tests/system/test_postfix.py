"""SmtpSink through a real Postfix on loopback into Dovecot, read back over IMAP.

Needs root and the Debian packages postfix, dovecot-imapd and dovecot-lmtpd; skipped otherwise.
The `postfix_mta` fixture comes from ``tests/conftest.py``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from typing import TypeVar

import pytest
from imap_tools import MailBoxUnencrypted, MailMessage
from support.postfix import Postfix, master_cf
from support.servers import Mailbox

from mailflow.answering.sinks import Envelope, Outcome, SmtpServer, SmtpSink

SENDER = "wsis@association.test"
T = TypeVar("T")


def confirmation(number: int, recipient: str) -> Envelope:
    message_id = f"<postfix-{number}-{recipient}>"
    data = (
        f"From: WSIS coordinator <{SENDER}>\r\n"
        f"To: {recipient}\r\n"
        f"Subject: Re: WSIS contribution {number}\r\n"
        f"Message-ID: {message_id}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        f"Cảm ơn — contribution {number} received.\r\n"
    ).encode()
    return Envelope(message_id, SENDER, (recipient,), data)


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    """Poll `probe` until it returns something (mail delivery through an MTA is asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout}s")
        time.sleep(0.1)


def fetch_all(mailbox: Mailbox) -> list[MailMessage]:
    with MailBoxUnencrypted("127.0.0.1", mailbox.server.imap_port).login(
        mailbox.user, mailbox.password
    ) as imap:
        return list(imap.fetch(mark_seen=False))


def sink_for(postfix: Postfix) -> SmtpSink:
    return SmtpSink(SmtpServer(postfix.host, postfix.smtp_port, "none", timeout=30))


@pytest.mark.servers
def test_postfix_delivers_smtp_sink_mail_to_dovecot(
    postfix_mta: Postfix,
    fresh_mailbox: Mailbox,
) -> None:
    envelope = confirmation(1, fresh_mailbox.user)
    with sink_for(postfix_mta) as sink:
        [result] = sink.deliver([envelope])

    assert result.outcome is Outcome.SENT
    assert result.code == 250
    assert result.reply.startswith("2.0.0 Ok: queued as ")
    [message] = eventually(lambda: fetch_all(fresh_mailbox) or None, "delivery to Dovecot")
    parsed = message_from_bytes(message.obj.as_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == envelope.message_id
    assert parsed["Subject"] == "Re: WSIS contribution 1"
    assert parsed.get_content() == "Cảm ơn — contribution 1 received.\n"


@pytest.mark.servers
def test_postfix_batch_uses_one_smtp_session(
    postfix_mta: Postfix,
    fresh_mailbox: Mailbox,
) -> None:
    batch = [confirmation(n, fresh_mailbox.user) for n in (1, 2, 3)]
    with sink_for(postfix_mta) as sink:
        results = sink.deliver(batch)

    assert [r.outcome for r in results] == [Outcome.SENT] * 3
    queue_ids = [r.reply.removeprefix("2.0.0 Ok: queued as ") for r in results]
    messages = eventually(
        lambda: found if len(found := fetch_all(fresh_mailbox)) == 3 else None,
        "delivery of three messages",
    )
    assert sorted(m.headers["message-id"][0] for m in messages) == sorted(
        e.message_id for e in batch
    )
    # Postfix logs one line per SMTP session: all three queue ids came through the same one.
    session = eventually(
        lambda: _session_with(postfix_mta.log(), queue_ids[0]), "the smtpd session in the log"
    )
    assert all(queue_id in session for queue_id in queue_ids)
    assert "mail=3 rcpt=3 data=3" in session


def _session_with(log: str, queue_id: str) -> str | None:
    """The smtpd log lines of the session that received `queue_id`, once it has disconnected."""
    match = re.search(rf"postfix/smtpd\[(\d+)\]: {queue_id}: client=", log)
    if match is None:
        return None
    pid = match.group(1)
    lines = [line for line in log.splitlines() if f"postfix/smtpd[{pid}]: " in line]
    start = max(i for i, line in enumerate(lines) if f"{queue_id}: client=" in line)
    connect = max(i for i, line in enumerate(lines[: start + 1]) if "connect from" in line)
    for end in range(start, len(lines)):
        if "disconnect from" in lines[end]:
            return "\n".join(lines[connect : end + 1])
    return None


def test_master_cf_binds_smtpd_to_loopback_and_drops_chroot() -> None:
    original = (
        "# comment\n"
        "smtp      inet  n       -       y       -       -       smtpd\n"
        "#submission inet n       -       y       -       -       smtpd\n"
        "pickup    unix  n       -       y       60      1       pickup\n"
        "relay     unix  -       -       y       -       -       smtp\n"
        "        -o syslog_name=postfix/$service_name\n"
    )
    assert master_cf(original, 2525) == (
        "# comment\n"
        "127.0.0.1:2525  inet  n  -  n  -  -  smtpd\n"
        "#submission inet n       -       y       -       -       smtpd\n"
        "pickup  unix  n  -  n  60  1  pickup\n"
        "relay  unix  -  -  n  -  -  smtp\n"
        "        -o syslog_name=postfix/$service_name\n"
    )
