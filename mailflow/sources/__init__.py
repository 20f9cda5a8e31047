"""Where mail comes from: one small interface, two real implementations.

`Source` is the seam the pipeline reads through; `ImapSource` (imap-tools, a UID cursor per
UIDVALIDITY) reads an IMAP mailbox and `MaildirSource` a local Maildir folder. `open_source`
chooses from the settings. Sources only fetch raw bytes and, after the ledger committed, move
handled mail; they never delete a member's mail and know nothing about the ledger or parsing.
"""

from __future__ import annotations

from mailflow.auth import Credentials
from mailflow.config import ImapSettings
from mailflow.sources.base import FetchedMessage, Source
from mailflow.sources.imap import ImapSource
from mailflow.sources.maildir import MaildirSource

__all__ = ["FetchedMessage", "ImapSource", "MaildirSource", "Source", "open_source"]


def open_source(settings: ImapSettings, credentials: Credentials | None = None) -> Source:
    """The source the settings describe: a Maildir when ``imap.maildir`` is set, else IMAP.

    ``credentials`` give the access tokens when ``imap.auth`` is ``oauth2``.
    """
    if settings.maildir:
        return MaildirSource(settings.maildir, account=settings.account)
    return ImapSource(settings, credentials)
