"""One mail's SMTP transaction on an open connection: MAIL FROM, RCPT TO, DATA, and what they mean.

`transaction` drives one envelope through smtplib's ``mail``/``rcpt``/``data`` and returns an
`Attempt`: the mail's `DeliveryResult` and whether the connection can carry another mail. It
neither opens, logs in to nor closes connections, and keeps no state: `mailflow.answering.sinks.
smtp` (`SmtpSink`) owns the connection, decides when to RSET, reconnect or give up on a batch,
and is the only user of this module.

Decisions worth knowing:

* The transaction is driven with ``mail``/``rcpt``/``data`` rather than smtplib's ``sendmail``,
  because ``sendmail`` hides which phase a dropped connection interrupted: a drop before DATA is
  safe to retry at once on a new connection (nothing was accepted), a drop during DATA is not (the
  server may have kept the mail). `Dropped` says which it was.
* A multi-recipient mail that some recipients accepted is `SENT` (it was handed over, and sending
  it again would duplicate it for those recipients); the refused ones are listed in
  `DeliveryResult.refused`. Only when no recipient accepted is the mail `RETRY` (if any refusal
  was temporary) or `FAILED` (all refusals permanent).
* A 421 reply ends the connection (`Attempt.connection_lost`).
* smtplib sends bytes as given, so line endings are made CRLF here (`wire_format`).
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

from mailflow.answering.sinks.base import (
    DeliveryResult,
    Envelope,
    Outcome,
    RecipientResult,
    outcome_for,
    reply_text,
    uniform,
    wire_format,
)

__all__ = ["SERVICE_CLOSING", "Attempt", "Dropped", "mail_options", "transaction"]

#: The server is closing the connection (RFC 5321 §4.2.3): no further mail on it.
SERVICE_CLOSING = 421


class Dropped(Exception):
    """The server went away during a transaction; `before_data` says nothing was handed over."""

    def __init__(self, reply: str, *, before_data: bool) -> None:
        super().__init__(reply)
        self.reply = reply
        self.before_data = before_data


@dataclass
class Attempt:
    """What one transaction came to.

    ``connection_lost``: the server ended the connection (421), so the next mail needs a new one.
    ``data_answered``: the server answered the end of DATA, so the connection is ready for the
    next MAIL FROM without an RSET.
    """

    result: DeliveryResult
    connection_lost: bool
    data_answered: bool = False


def mail_options(
    conn: smtplib.SMTP, envelope: Envelope, data: bytes, where: str
) -> list[str] | str:
    """ESMTP options for MAIL FROM, or an explanation why the mail cannot be sent to ``where``."""
    options: list[str] = []
    if conn.has_extn("size"):
        options.append(f"SIZE={len(data)}")
    if not data.isascii() and conn.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    addresses = (envelope.sender, *envelope.recipients)
    if not all(address.isascii() for address in addresses):
        if not conn.has_extn("smtputf8"):
            return f"{where} does not support SMTPUTF8, needed for non-ASCII addresses"
        options.append("SMTPUTF8")
    return options


def transaction(conn: smtplib.SMTP, envelope: Envelope, where: str) -> Attempt:
    """Send one envelope on ``conn`` (the server at ``where``); raises `Dropped` if it went away."""
    if not envelope.recipients:
        return Attempt(uniform(envelope, Outcome.FAILED, None, "no recipients"), False)
    data = wire_format(envelope.data)
    options = mail_options(conn, envelope, data, where)
    if isinstance(options, str):
        return Attempt(uniform(envelope, Outcome.FAILED, None, options), False)
    try:
        code, words = conn.mail(envelope.sender, options)
    except smtplib.SMTPServerDisconnected as exc:
        raise Dropped(f"connection lost at MAIL FROM: {exc}", before_data=True) from exc
    if outcome_for(code) is not Outcome.SENT:
        reply = reply_text(words)
        return Attempt(uniform(envelope, outcome_for(code), code, reply), code == SERVICE_CLOSING)

    answers: dict[str, RecipientResult] = {}
    for recipient in envelope.recipients:
        try:
            code, words = conn.rcpt(recipient)
        except smtplib.SMTPServerDisconnected as exc:
            raise Dropped(f"connection lost at RCPT TO: {exc}", before_data=True) from exc
        answers[recipient] = RecipientResult(recipient, code, reply_text(words), outcome_for(code))
        if code == SERVICE_CLOSING:
            return Attempt(uniform(envelope, Outcome.RETRY, code, reply_text(words)), True)
    accepted = [r for r, a in answers.items() if a.outcome is Outcome.SENT]
    if not accepted:
        refusals = list(answers.values())
        decisive = next((a for a in refusals if a.outcome is Outcome.RETRY), refusals[0])
        result = DeliveryResult(
            envelope.message_id,
            decisive.outcome,
            decisive.code,
            decisive.reply,
            tuple(refusals),
        )
        return Attempt(result, False)

    data_answered = False
    try:
        code, words = conn.data(data)
        reply = reply_text(words)
        data_answered = True  # the transaction is over, whatever the reply
    except smtplib.SMTPDataError as exc:  # DATA itself refused (no 354)
        code, reply = exc.smtp_code, reply_text(exc.smtp_error)
    except smtplib.SMTPServerDisconnected as exc:
        raise Dropped(f"connection lost during DATA: {exc}", before_data=False) from exc
    outcome = outcome_for(code)
    for recipient in accepted:
        answers[recipient] = RecipientResult(recipient, code, reply, outcome)
    result = DeliveryResult(
        envelope.message_id,
        outcome,
        code,
        reply,
        tuple(answers[r] for r in envelope.recipients),
    )
    return Attempt(result, code == SERVICE_CLOSING, data_answered)
