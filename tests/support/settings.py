"""mailflow settings for tests, pointed at the servers of `support.servers`."""

from __future__ import annotations

import dataclasses

from mailflow.config import ImapSettings, Secret, Settings
from support.servers import Mailbox


def imap_settings(settings: Settings, mailbox: Mailbox, **changes: object) -> Settings:
    """``settings`` pointed at an account of the test Dovecot instead of the Maildir."""
    imap = ImapSettings(
        host="127.0.0.1",
        port=mailbox.server.imap_port,
        security="none",
        user=mailbox.user,
        password=Secret(mailbox.password),
        chunk_size=50,
    )
    return dataclasses.replace(settings, imap=dataclasses.replace(imap, **changes))  # type: ignore[arg-type]
