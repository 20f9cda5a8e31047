"""What every sink shares: the envelope handed to it, the result it gives back, and the `Sink` seam.

A sink takes a batch of `Envelope` (Message-ID, envelope sender, recipients, the complete message
bytes) and returns one `DeliveryResult` per envelope, in order: `SENT`, `RETRY` (a later attempt
may succeed) or `FAILED` (refused for good), with the SMTP code and the server's words. The sinks
themselves are `mailflow.answering.sinks.smtp` and `mailflow.answering.sinks.file`; the outbox
rows and their states live in `mailflow.answering.outbox`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from mailflow.redact import redact

__all__ = [
    "RETRYABLE_CODES",
    "DeliveryResult",
    "Envelope",
    "OnResult",
    "Outcome",
    "RecipientResult",
    "Sink",
    "outcome_for",
    "redacted",
    "reply_text",
    "uniform",
    "wire_format",
]

#: Reply codes that mean "try again later": every 4yz reply is a transient negative completion
#: (RFC 5321 §4.2.1), e.g. 421 closing, 450/451 mailbox busy or local error, 452 no storage.
RETRYABLE_CODES: frozenset[int] = frozenset(range(400, 500))

_LINE_END = re.compile(rb"\r\n|\r|\n")


class Outcome(StrEnum):
    """What became of one mail (or one recipient of it)."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class Envelope:
    """One mail to deliver: its fixed Message-ID, the SMTP envelope and the complete message."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    data: bytes  # the complete RFC 5322 message, CRLF or LF line endings


@dataclass(frozen=True)
class RecipientResult:
    """The server's answer for one recipient."""

    recipient: str
    code: int | None
    reply: str
    outcome: Outcome


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one mail; `code` and `reply` are those of the reply that decided it."""

    message_id: str
    outcome: Outcome
    code: int | None
    reply: str
    recipients: tuple[RecipientResult, ...]
    #: A RETRY caused by mailflow's own configuration (credentials, certificates, STARTTLS):
    #: not the mail's fault, so it does not count as an attempt.
    misconfigured: bool = False

    @property
    def refused(self) -> tuple[RecipientResult, ...]:
        """The recipients that did not get the mail (empty when every recipient accepted)."""
        return tuple(r for r in self.recipients if r.outcome is not Outcome.SENT)


#: Called with each envelope's index in the batch and its result, as soon as it is known.
OnResult = Callable[[int, DeliveryResult], None]


class Sink(Protocol):
    """Where finished mail goes. `deliver` returns one result per envelope, in batch order, and
    hands each to ``on_result`` as soon as it is known (before the next mail is tried), so the
    caller can record a mail the server accepted before anything else can go wrong."""

    def deliver(
        self, batch: Sequence[Envelope], on_result: OnResult | None = None
    ) -> list[DeliveryResult]: ...

    def close(self) -> None: ...


def outcome_for(code: int | None) -> Outcome:
    """Classify a reply code: 2xx sent, 4xx retry, 5xx failed; no code or an odd one, retry."""
    if code is None or code in RETRYABLE_CODES:
        return Outcome.RETRY
    if 200 <= code < 300:
        return Outcome.SENT
    if 500 <= code < 600:
        return Outcome.FAILED
    return Outcome.RETRY  # a protocol oddity (1xx/3xx where none belongs): another try may work


def wire_format(data: bytes) -> bytes:
    """`data` with CRLF line endings, as SMTP requires (smtplib leaves bytes untouched)."""
    crlf = data.count(b"\r\n")
    if data.count(b"\n") == crlf == data.count(b"\r"):  # no bare CR or LF: as composed
        return data
    return _LINE_END.sub(b"\r\n", data)


def reply_text(reply: bytes | str) -> str:
    """A server's reply as text (undecodable bytes replaced)."""
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def redacted(result: DeliveryResult) -> DeliveryResult:
    """``result`` with every registered secret a server echoed removed from its replies."""
    recipients = tuple(replace(r, reply=redact(r.reply)) for r in result.recipients)
    return replace(result, reply=redact(result.reply), recipients=recipients)


def uniform(
    envelope: Envelope,
    outcome: Outcome,
    code: int | None,
    reply: str,
    *,
    misconfigured: bool = False,
) -> DeliveryResult:
    """A result where one reply decided the fate of every recipient."""
    recipients = tuple(RecipientResult(r, code, reply, outcome) for r in envelope.recipients)
    return DeliveryResult(envelope.message_id, outcome, code, reply, recipients, misconfigured)
