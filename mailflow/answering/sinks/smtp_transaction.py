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
* A server that offers PIPELINING (RFC 2920: Postfix, Exchange Online and Gmail do) gets MAIL
  FROM, every RCPT TO and DATA in one write, and the replies are read in order: two round trips
  a mail instead of four. Nothing else changes: a refusal is the same refusal, a drop before the
  354 reply is still before DATA, and the mail's result is known, and committed by the outbox,
  only after the reply to its end of data. Measured through Postfix on loopback (1,000 mails):
  see bench/RESULTS.md; to a server 30 ms away it saves 60 ms a mail. Hand-written because
  smtplib does not pipeline; it still uses smtplib's connection, ``quoteaddr`` and reply reader.
  Mail that needs SMTPUTF8 goes the unpipelined way (smtplib switches its encoding for it).
* A 421 reply ends the connection (`Attempt.connection_lost`).
* smtplib sends bytes as given, so line endings are made CRLF here (`wire_format`).
"""

from __future__ import annotations

import re
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
#: "Start mail input": the server waits for the message data.
START_DATA = 354
#: A line of the data that starts with a dot gets a second one (RFC 5321 §4.5.2).
_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


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
    if conn.has_extn("pipelining") and "SMTPUTF8" not in options:
        return _pipelined(conn, envelope, data, options)
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
    if not any(a.outcome is Outcome.SENT for a in answers.values()):
        return _no_recipient(envelope, answers)

    data_answered = False
    try:
        code, words = conn.data(data)
        reply = reply_text(words)
        data_answered = True  # the transaction is over, whatever the reply
    except smtplib.SMTPDataError as exc:  # DATA itself refused (no 354)
        code, reply = exc.smtp_code, reply_text(exc.smtp_error)
    except smtplib.SMTPServerDisconnected as exc:
        raise Dropped(f"connection lost during DATA: {exc}", before_data=False) from exc
    return _delivered(envelope, answers, code, reply, data_answered)


def _pipelined(conn: smtplib.SMTP, envelope: Envelope, data: bytes, options: list[str]) -> Attempt:
    """`transaction` on a server that offers PIPELINING: the commands up to DATA in one write."""
    commands = [
        f"MAIL FROM:{smtplib.quoteaddr(envelope.sender)}{''.join(' ' + o for o in options)}"
    ]
    commands += [f"RCPT TO:{smtplib.quoteaddr(r)}" for r in envelope.recipients]
    commands.append("DATA")
    answers: dict[str, RecipientResult] = {}
    phase = "MAIL FROM"  # whose reply is awaited: a drop names it, as one command at a time does
    try:
        conn.send("".join(command + "\r\n" for command in commands))
        mail_code, words = conn.getreply()
        phase = "RCPT TO"
        mail_reply = reply_text(words)
        if mail_code == SERVICE_CLOSING:
            return Attempt(uniform(envelope, Outcome.RETRY, mail_code, mail_reply), True)
        for recipient in envelope.recipients:
            code, words = conn.getreply()
            answers[recipient] = RecipientResult(
                recipient, code, reply_text(words), outcome_for(code)
            )
            if code == SERVICE_CLOSING:
                return Attempt(uniform(envelope, Outcome.RETRY, code, reply_text(words)), True)
        phase = "DATA"
        data_code, words = conn.getreply()
        data_reply = reply_text(words)
        if data_code == SERVICE_CLOSING:
            return Attempt(uniform(envelope, Outcome.RETRY, data_code, data_reply), True)
    except smtplib.SMTPServerDisconnected as exc:
        raise Dropped(f"connection lost at {phase}: {exc}", before_data=True) from exc
    carried = outcome_for(mail_code) is Outcome.SENT and any(
        a.outcome is Outcome.SENT for a in answers.values()
    )
    if data_code == START_DATA and not carried:
        # A server should refuse DATA with nobody to deliver to (RFC 2920 §3.1); one that
        # opened it anyway gets an empty message, which goes nowhere.
        try:
            conn.send(b".\r\n")
            conn.getreply()
        except smtplib.SMTPServerDisconnected as exc:
            raise Dropped(f"connection lost during DATA: {exc}", before_data=False) from exc
    if outcome_for(mail_code) is not Outcome.SENT:
        return Attempt(uniform(envelope, outcome_for(mail_code), mail_code, mail_reply), False)
    if not carried:
        return _no_recipient(envelope, answers)
    if data_code != START_DATA:  # DATA itself refused: the transaction stays open (RSET)
        return _delivered(envelope, answers, data_code, data_reply, False)
    try:
        ending = b".\r\n" if data.endswith(b"\r\n") else b"\r\n.\r\n"
        conn.send(_DOT_AT_LINE_START.sub(b"..", data) + ending)
        code, words = conn.getreply()
    except smtplib.SMTPServerDisconnected as exc:
        raise Dropped(f"connection lost during DATA: {exc}", before_data=False) from exc
    return _delivered(envelope, answers, code, reply_text(words), True)


def _no_recipient(envelope: Envelope, answers: dict[str, RecipientResult]) -> Attempt:
    """No recipient accepted: the decisive refusal (a temporary one first), nothing handed over."""
    refusals = list(answers.values())
    decisive = next((a for a in refusals if a.outcome is Outcome.RETRY), refusals[0])
    result = DeliveryResult(
        envelope.message_id, decisive.outcome, decisive.code, decisive.reply, tuple(refusals)
    )
    return Attempt(result, False)


def _delivered(
    envelope: Envelope,
    answers: dict[str, RecipientResult],
    code: int,
    reply: str,
    data_answered: bool,
) -> Attempt:
    """The result once the data (or DATA) was answered ``code``: the accepted recipients take it."""
    outcome = outcome_for(code)
    for recipient, answer in list(answers.items()):
        if answer.outcome is Outcome.SENT:
            answers[recipient] = RecipientResult(recipient, code, reply, outcome)
    result = DeliveryResult(
        envelope.message_id,
        outcome,
        code,
        reply,
        tuple(answers[r] for r in envelope.recipients),
    )
    return Attempt(result, code == SERVICE_CLOSING, data_answered)
