"""Sinks that hand finished mail to the outside world: an SMTP server (`smtp`) or a folder of
.eml files (`file`), behind the `Sink` seam of `base`."""

from mailflow.answering.sinks.base import (
    RETRYABLE_CODES,
    DeliveryResult,
    Envelope,
    OnResult,
    Outcome,
    RecipientResult,
    Sink,
    outcome_for,
    wire_format,
)
from mailflow.answering.sinks.file import FileSink
from mailflow.answering.sinks.smtp import SmtpServer, SmtpSink

__all__ = [
    "RETRYABLE_CODES",
    "DeliveryResult",
    "Envelope",
    "FileSink",
    "OnResult",
    "Outcome",
    "RecipientResult",
    "Sink",
    "SmtpServer",
    "SmtpSink",
    "outcome_for",
    "wire_format",
]
