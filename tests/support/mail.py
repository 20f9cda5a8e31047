"""Mail for the tests of sign-in and alerts: contributions to put in a mailbox, mail to send,
and reading a mailbox back (delivery through an MTA is asynchronous, hence `eventually`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest
from imap_tools import MailBoxUnencrypted, MailMessage

from mailflow.answering.sinks import Envelope
from support.servers import Mailbox

T = TypeVar("T")


def contribution(n: int) -> bytes:
    """A short contribution from member ``n``, with CRLF line endings."""
    return (
        f"From: Member {n} <member{n}@library.test>\r\nTo: wsis@association.test\r\n"
        f"Subject: WSIS contribution {n}\r\nMessage-ID: <contrib-{n}@library.test>\r\n"
        f"Date: Mon, 08 Sep 2025 10:00:00 +0000\r\n\r\n"
        f"Action lines: C3\r\nWhy: we opened {n} reading rooms.\r\n"
    ).encode()


def append(mailbox: Mailbox, messages: list[bytes], folder: str = "INBOX") -> None:
    """Put ``messages`` in ``folder`` of the account, logging in with its password."""
    with MailBoxUnencrypted("127.0.0.1", mailbox.server.imap_port).login(
        mailbox.user, mailbox.password, initial_folder=None
    ) as box:
        if not box.folder.exists(folder):
            box.folder.create(folder)
        for raw in messages:
            box.append(raw, folder)


def envelope(number: int, sender: str, recipient: str) -> Envelope:
    message_id = f"<mail-{number}-{recipient}>"
    data = (
        f"From: WSIS coordinator <{sender}>\r\nTo: {recipient}\r\n"
        f"Subject: Re: WSIS contribution {number}\r\nMessage-ID: {message_id}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Contribution {number} received.\r\n"
    ).encode()
    return Envelope(message_id, sender, (recipient,), data)


def fetch_all(mailbox: Mailbox, folder: str = "INBOX") -> list[MailMessage]:
    with MailBoxUnencrypted("127.0.0.1", mailbox.server.imap_port).login(
        mailbox.user, mailbox.password, initial_folder=folder
    ) as imap:
        return list(imap.fetch(mark_seen=False))


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 30.0) -> T:
    """Poll ``probe`` until it returns something other than None."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout}s")
        time.sleep(0.1)
