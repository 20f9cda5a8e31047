"""The one error tree of mailflow.

Every failure a user can act on is a `MailflowError`; the CLI catches the root once, prints
``Error: <message>`` on stderr and exits 1. Each subclass carries what a user needs to act on it.
The boundaries translate what their libraries raise: `mailflow.ledger.engine` turns SQLAlchemy's
errors into `LedgerError`, `mailflow.sources.imap` turns imaplib's, imap-tools' and the socket's
into `SourceError`; so `mailflow.service` retries on `MailflowError` alone. This module defines
the errors only; it does not log or print them.

    MailflowError
     ├── ConfigError        a setting is missing or invalid (names the key)
     ├── SourceError        the mailbox (IMAP server or Maildir) could not be read
     ├── AuthError          no OAuth2 access token could be had (says whether a person must act)
     ├── RosterError        a members file cannot be imported (names the file and line)
     ├── AddressTakenError  an address given to a member is another member's (names that one)
     ├── LedgerError        the database could not be opened, migrated or written
     │    ├── LedgerBusyError     another writer holds the lock; retrying may help
     │    └── LedgerRefusedError  the database refused a row (a key, a value that does not fit)
     ├── DeliveryError      a mail could not be handed to the SMTP server or file sink
     │    └── NotSentError     mails left in the queue by a delivery pass (count and reason)
     ├── StateError         a forbidden state transition (outbox, submission, report), or an
     │                      action refused in the campaign's state (call with the example config)
     ├── UsageError         a value the user gave is unusable (exit status 2, as Click's own)
     └── NotFoundError      a submission, member or message the user named does not exist
"""

from __future__ import annotations

from mailflow.notices import Notice


class MailflowError(Exception):
    """Root of every error mailflow reports to its user."""


class ConfigError(MailflowError):
    """A configuration value is missing or invalid; ``key`` names it (``section.key``)."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        self.key = key
        text = f"{key}: {message}" if key else message
        if key and isinstance(message, Notice):  # the key joins the notice's values
            text = Notice(text, message.code, key=key, **message.params)
        super().__init__(text)


class SourceError(MailflowError):
    """The mail source could not be reached or read; ``retryable`` says whether a retry may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        self.retryable = retryable
        super().__init__(message)


class RosterError(MailflowError):
    """A members file is not usable; the message names the file and line."""


class AddressTakenError(MailflowError):
    """An address given to a member already belongs to another member.

    ``address`` is the address, ``owner`` that member as "Name <primary address>"; the message
    says how to take the address from them first. Addresses never move between members silently.
    """

    def __init__(self, message: str, *, address: str, owner: str) -> None:
        self.address = address
        self.owner = owner
        super().__init__(message)


class AuthError(MailflowError):
    """No access token could be had for the mailbox.

    ``signin_needed`` is true when retrying cannot help and a person must act: the grant was
    revoked or expired (``invalid_grant``), nobody has signed in yet, or the app registration
    is wrong. The message then says what happened and the command that fixes it.
    """

    def __init__(self, message: str, *, signin_needed: bool = False) -> None:
        self.signin_needed = signin_needed
        super().__init__(message)


class LedgerError(MailflowError):
    """The ledger database could not be opened, upgraded or written.

    ``detail`` is the database's own one-line reason, without SQL or parameters.
    """

    def __init__(self, message: str, *, detail: str = "") -> None:
        self.detail = detail or message
        super().__init__(message)


class LedgerBusyError(LedgerError):
    """Another process holds the ledger's write lock (SQLite) and did not release it in time."""


class LedgerRefusedError(LedgerError):
    """The database refused a row: a unique or foreign key, or a value that does not fit.

    A poll then writes the chunk again message by message, so only the refused one fails.
    """


class DeliveryError(MailflowError):
    """A mail could not be delivered.

    ``code`` is the SMTP reply code when there was one; ``permanent`` is true for 5xx replies and
    other failures a retry cannot fix.
    """

    def __init__(self, message: str, *, code: int | None = None, permanent: bool = False) -> None:
        self.code = code
        self.permanent = permanent
        super().__init__(message)


class NotSentError(DeliveryError):
    """Mail left in the outbox: ``count`` mails were not sent, for the reason given.

    Raised by the commands that deliver (call, remind, poll, outbox flush) so that mail that
    could not go out is never a silent success; the mails stay queued for the next flush.
    """

    def __init__(self, count: int, reason: str, *, permanent: bool = False) -> None:
        self.count = count
        self.reason = reason
        noun = "mail" if count == 1 else "mails"
        text = Notice(f"{count} {noun} not sent: {reason}", "not_sent", count=count, reason=reason)
        super().__init__(text, permanent=permanent)


class StateError(MailflowError):
    """A state transition that the state machine forbids (e.g. outbox ``sent`` -> ``queued``)."""


class UsageError(MailflowError):
    """A value the user gave is not usable (e.g. not a mail address); the CLI exits 2."""


class NotFoundError(MailflowError):
    """The thing the user named (submission id, member address…) is not in the ledger."""
