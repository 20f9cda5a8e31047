"""Sinks that hand finished mail to the outside world: an SMTP server, or a folder of .eml files.

A sink takes a batch of `Envelope` (Message-ID, envelope sender, recipients, the complete message
bytes) and returns one `DeliveryResult` per envelope, in order: `SENT`, `RETRY` (4xx replies,
refused or dropped connections, timeouts, certificate failures: a later attempt may succeed) or
`FAILED` (5xx replies: the server refused for good), with the SMTP code and the server's words.
`SmtpSink` reuses one connection for the whole batch; `FileSink` writes one file per Message-ID
for dry runs and demos. Delivery failures are reported, never raised; `DeliveryError` is raised
only for misconfiguration, and only before anything of the batch was delivered. This module keeps
no state between batches beyond an open connection: the outbox rows, their states, the retry
schedule and the number of attempts live in `mailflow.answering.outbox`; composing the mail lives in
`mailflow.answering.compose`.

Decisions worth knowing:

* A multi-recipient mail that some recipients accepted is `SENT` (it was handed over, and sending
  it again would duplicate it for those recipients); the refused ones are listed in
  `DeliveryResult.refused`. Only when no recipient accepted is the mail `RETRY` (if any refusal
  was temporary) or `FAILED` (all refusals permanent).
* A certificate that fails verification is `RETRY` for every message of the batch not yet sent,
  with a reply starting ``TLS certificate verification failed`` and a WARNING in the log: the mail
  is not at fault and an administrator can fix the certificate or ``ca_file``; the outbox's last
  attempt turns it into ``failed``. A server that does not offer STARTTLS, or refuses the
  credentials for good, is misconfiguration and raises `DeliveryError`; so does a password that
  would cross the network unencrypted (``security = none`` to a host that is not loopback).
* A 421 reply or a dropped connection ends the connection; the next message of the batch opens a
  new one, and after two such messages in a row the rest of the batch is `RETRY` untried.
  Refused connections and timeouts are `RETRY` for every message not yet sent.
* Mails of a batch follow each other on the connection with nothing in between, as smtplib's own
  `sendmail` loop does; an RSET checks the connection only at the start of a batch (it may have
  timed out while idle) and after a transaction that did not reach the end of DATA.
* The transaction is driven with smtplib's `mail`/`rcpt`/`data` rather than `sendmail`, because
  `sendmail` hides which phase a dropped connection interrupted: a drop before DATA is safe to
  retry at once on a new connection (nothing was accepted), a drop during DATA is not (the server
  may have kept the mail) and becomes `RETRY` for a later attempt under the same Message-ID.
  smtplib sends bytes as given, so line endings are made CRLF here (`wire_format`).
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol, Self

from mailflow.errors import DeliveryError

log = logging.getLogger(__name__)

#: Reply codes that mean "try again later": every 4yz reply is a transient negative completion
#: (RFC 5321 §4.2.1), e.g. 421 closing, 450/451 mailbox busy or local error, 452 no storage.
RETRYABLE_CODES: frozenset[int] = frozenset(range(400, 500))

_SECURITY = ("ssl", "starttls", "none")
_SERVICE_CLOSING = 421
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._@+=-]+")
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

    @property
    def refused(self) -> tuple[RecipientResult, ...]:
        """The recipients that did not get the mail (empty when every recipient accepted)."""
        return tuple(r for r in self.recipients if r.outcome is not Outcome.SENT)


class Sink(Protocol):
    """Where finished mail goes. `deliver` returns one result per envelope, in batch order."""

    def deliver(self, batch: Sequence[Envelope]) -> list[DeliveryResult]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the submission server; certificates are always checked for ssl/starttls."""

    host: str
    port: int
    security: str  # "ssl" | "starttls" | "none"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None
    local_hostname: str | None = None

    def __repr__(self) -> str:  # keep the password out of logs and tracebacks
        return (
            f"SmtpSettings(host={self.host!r}, port={self.port!r}, security={self.security!r}, "
            f"user={self.user!r}, password={'***' if self.password else None}, "
            f"timeout={self.timeout!r}, ca_file={self.ca_file!r}, "
            f"local_hostname={self.local_hostname!r})"
        )


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


def _words(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _uniform(envelope: Envelope, outcome: Outcome, code: int | None, reply: str) -> DeliveryResult:
    """A result where one reply decided the fate of every recipient."""
    recipients = tuple(RecipientResult(r, code, reply, outcome) for r in envelope.recipients)
    return DeliveryResult(envelope.message_id, outcome, code, reply, recipients)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _ConnectionFailed(Exception):
    """No usable connection; every message not yet sent is RETRY (or misconfiguration)."""

    def __init__(self, reply: str, *, code: int | None = None, misconfigured: bool = False):
        super().__init__(reply)
        self.reply = reply
        self.code = code
        self.misconfigured = misconfigured


class _Dropped(Exception):
    """The server went away during a transaction; `before_data` says nothing was handed over."""

    def __init__(self, reply: str, *, before_data: bool) -> None:
        super().__init__(reply)
        self.reply = reply
        self.before_data = before_data


@dataclass
class _Attempt:
    result: DeliveryResult
    connection_lost: bool


class SmtpSink:
    """Delivers over SMTP with smtplib, one connection reused for a batch (and across batches)."""

    def __init__(self, settings: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None):
        if settings.security not in _SECURITY:
            raise DeliveryError(
                f"smtp.security must be one of {', '.join(_SECURITY)}, not {settings.security!r}",
                permanent=True,
            )
        if settings.user and settings.security == "none" and not _is_loopback(settings.host):
            raise DeliveryError(
                f"refusing to send the SMTP password unencrypted to {settings.host}; "
                "use security = ssl or starttls",
                permanent=True,
            )
        self._settings = settings
        self._context = self._make_context(settings, ssl_context)
        self._conn: smtplib.SMTP | None = None
        self._fresh = False  # no transaction yet on the current connection
        # RSET before the next transaction: at the start of each batch (the connection may have
        # timed out while idle) and after a transaction that did not reach the end of DATA.
        # Between mails that completed, the server is ready for the next MAIL FROM already.
        self._check_before_use = False

    @staticmethod
    def _make_context(settings: SmtpSettings, given: ssl.SSLContext | None) -> ssl.SSLContext:
        if given is not None:
            if given.verify_mode != ssl.CERT_REQUIRED or not given.check_hostname:
                raise DeliveryError(
                    "the SSL context must verify certificates and host names", permanent=True
                )
            return given
        context = ssl.create_default_context()
        if settings.ca_file:
            try:
                context.load_verify_locations(cafile=settings.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise DeliveryError(
                    f"smtp.ca_file {settings.ca_file!r} cannot be loaded: {exc}", permanent=True
                ) from exc
        return context

    @property
    def _where(self) -> str:
        return f"{self._settings.host}:{self._settings.port}"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def deliver(self, batch: Sequence[Envelope]) -> list[DeliveryResult]:
        """Deliver every envelope; never raises for delivery failures (see the module docstring).

        Raises `DeliveryError` for misconfiguration (no STARTTLS offered, credentials refused
        for good, AUTH not offered) if it shows before any message of the batch was tried; later
        it is reported as RETRY for the rest of the batch, so no result is ever lost.
        """
        results: list[DeliveryResult] = []
        drops_in_a_row, last_reply = 0, ""
        self._check_before_use = True
        for index, envelope in enumerate(batch):
            if drops_in_a_row >= 2:  # the server keeps hanging up: leave the rest for later
                results.extend(self._retry_rest(batch[index:], None, "not tried: " + last_reply))
                break
            try:
                attempt = self._deliver_one(envelope)
            except _ConnectionFailed as exc:
                if exc.misconfigured and not results:
                    raise DeliveryError(exc.reply, code=exc.code, permanent=True) from exc
                if exc.misconfigured:
                    log.warning("%s", exc.reply)
                results.extend(self._retry_rest(batch[index:], exc.code, exc.reply))
                break
            results.append(attempt.result)
            log.info(
                "%s %s: %s %s",
                envelope.message_id,
                attempt.result.outcome,
                attempt.result.code,
                attempt.result.reply,
            )
            if attempt.connection_lost:
                self._drop()
                drops_in_a_row += 1
                last_reply = attempt.result.reply
            else:
                drops_in_a_row = 0
        return results

    def _retry_rest(
        self, rest: Sequence[Envelope], code: int | None, reply: str
    ) -> list[DeliveryResult]:
        for envelope in rest:
            log.info("%s retry: %s", envelope.message_id, reply)
        return [_uniform(envelope, Outcome.RETRY, code, reply) for envelope in rest]

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open."""
        if self._conn is None:
            return
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self._conn.quit()
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _deliver_one(self, envelope: Envelope) -> _Attempt:
        conn = self._connection()
        reused = not self._fresh  # a fresh connection that fails is not reconnected again
        try:
            return self._transaction(conn, envelope)
        except _Dropped as exc:
            self._drop()
            if not (exc.before_data and reused):
                return _Attempt(_uniform(envelope, Outcome.RETRY, None, exc.reply), True)
            log.debug("connection to %s went away before DATA; reconnecting once", self._where)
        conn = self._connection()
        try:
            return self._transaction(conn, envelope)
        except _Dropped as exc:
            self._drop()
            return _Attempt(_uniform(envelope, Outcome.RETRY, None, exc.reply), True)

    def _connection(self) -> smtplib.SMTP:
        """The open connection (RSET first when due), else a new one; or _ConnectionFailed."""
        if self._conn is not None and not self._fresh and self._check_before_use:
            try:
                code, _ = self._conn.rset()
            except smtplib.SMTPException:  # SMTPServerDisconnected and friends
                code = None
            if code == 250:
                self._check_before_use = False
                return self._conn
            log.debug(
                "connection to %s no longer usable (RSET: %s); reconnecting", self._where, code
            )
            self._drop()
        if self._conn is None:
            self._conn = self._connect()
            self._fresh = True
        return self._conn

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        log.debug("connecting to %s (security=%s)", self._where, s.security)
        conn: smtplib.SMTP | None = None
        try:
            if s.security == "ssl":
                conn = smtplib.SMTP_SSL(
                    s.host,
                    s.port,
                    local_hostname=s.local_hostname,
                    timeout=s.timeout,
                    context=self._context,
                )
            else:
                conn = smtplib.SMTP(
                    s.host, s.port, local_hostname=s.local_hostname, timeout=s.timeout
                )
            conn.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                if not conn.has_extn("starttls"):
                    raise _ConnectionFailed(
                        f"{self._where} does not offer STARTTLS; refusing to continue in the clear",
                        misconfigured=True,
                    )
                conn.starttls(context=self._context)
                conn.ehlo()
            if s.user:
                self._login(conn)
        except _ConnectionFailed:
            if conn is not None:
                conn.close()
            raise
        except ssl.SSLCertVerificationError as exc:
            if conn is not None:
                conn.close()
            reply = (
                f"TLS certificate verification failed for {self._where}: {exc.verify_message}"
                " (fix the server certificate or set smtp.ca_file)"
            )
            log.warning("%s", reply)
            raise _ConnectionFailed(reply) from exc
        except smtplib.SMTPResponseException as exc:  # e.g. a 421/554 greeting
            if conn is not None:
                conn.close()
            raise _ConnectionFailed(
                f"{self._where}: {_words(exc.smtp_error)}", code=exc.smtp_code
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused, timeout, DNS, TLS, disconnect
            if conn is not None:
                conn.close()
            raise _ConnectionFailed(f"cannot reach {self._where}: {exc}") from exc
        log.debug("connected to %s", self._where)
        return conn

    def _login(self, conn: smtplib.SMTP) -> None:
        s = self._settings
        assert s.user is not None
        log.debug("AUTH as %s", s.user)
        try:
            conn.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            words = _words(exc.smtp_error)
            if outcome_for(exc.smtp_code) is Outcome.RETRY:
                raise _ConnectionFailed(
                    f"{self._where}: AUTH: {words}", code=exc.smtp_code
                ) from exc
            raise _ConnectionFailed(
                f"{self._where} refused the credentials of {s.user}: {exc.smtp_code} {words}",
                code=exc.smtp_code,
                misconfigured=True,
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise _ConnectionFailed(
                f"{self._where} does not offer AUTH but smtp.user is set", misconfigured=True
            ) from exc
        except smtplib.SMTPException as exc:
            if isinstance(exc, smtplib.SMTPServerDisconnected):
                raise
            raise _ConnectionFailed(f"{self._where}: AUTH: {exc}", misconfigured=True) from exc

    def _mail_options(self, conn: smtplib.SMTP, envelope: Envelope, data: bytes) -> list[str] | str:
        """ESMTP options for MAIL FROM, or an explanation why the mail cannot be sent here."""
        options: list[str] = []
        if conn.has_extn("size"):
            options.append(f"SIZE={len(data)}")
        if not data.isascii() and conn.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        addresses = (envelope.sender, *envelope.recipients)
        if not all(address.isascii() for address in addresses):
            if not conn.has_extn("smtputf8"):
                return f"{self._where} does not support SMTPUTF8, needed for non-ASCII addresses"
            options.append("SMTPUTF8")
        return options

    def _transaction(self, conn: smtplib.SMTP, envelope: Envelope) -> _Attempt:
        self._fresh = False
        self._check_before_use = True  # until the server answered the end of DATA
        if not envelope.recipients:
            return _Attempt(_uniform(envelope, Outcome.FAILED, None, "no recipients"), False)
        data = wire_format(envelope.data)
        options = self._mail_options(conn, envelope, data)
        if isinstance(options, str):
            return _Attempt(_uniform(envelope, Outcome.FAILED, None, options), False)
        try:
            code, words = conn.mail(envelope.sender, options)
        except smtplib.SMTPServerDisconnected as exc:
            raise _Dropped(f"connection lost at MAIL FROM: {exc}", before_data=True) from exc
        if outcome_for(code) is not Outcome.SENT:
            reply = _words(words)
            return _Attempt(
                _uniform(envelope, outcome_for(code), code, reply), code == _SERVICE_CLOSING
            )

        answers: dict[str, RecipientResult] = {}
        for recipient in envelope.recipients:
            try:
                code, words = conn.rcpt(recipient)
            except smtplib.SMTPServerDisconnected as exc:
                raise _Dropped(f"connection lost at RCPT TO: {exc}", before_data=True) from exc
            answers[recipient] = RecipientResult(recipient, code, _words(words), outcome_for(code))
            if code == _SERVICE_CLOSING:
                return _Attempt(_uniform(envelope, Outcome.RETRY, code, _words(words)), True)
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
            return _Attempt(result, False)

        try:
            code, words = conn.data(data)
            reply = _words(words)
            self._check_before_use = False  # the transaction is over, whatever the reply
        except smtplib.SMTPDataError as exc:  # DATA itself refused (no 354)
            code, reply = exc.smtp_code, _words(exc.smtp_error)
        except smtplib.SMTPServerDisconnected as exc:
            raise _Dropped(f"connection lost during DATA: {exc}", before_data=False) from exc
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
        return _Attempt(result, code == _SERVICE_CLOSING)


class FileSink:
    """Writes each mail to ``<outdir>/<UTC timestamp>-<safe Message-ID>.eml``, once per Message-ID.

    The file holds the message bytes exactly as given. It is written to a temporary name in the
    same folder and renamed, so a reader never sees half a file; a Message-ID that already has a
    file is not written again (the result is SENT with the existing path). Idempotency assumes
    one writer per folder at a time, as the outbox guarantees.
    """

    def __init__(self, outdir: Path) -> None:
        self._outdir = Path(outdir)
        try:
            self._outdir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DeliveryError(f"cannot create {self._outdir}: {exc}", permanent=True) from exc
        self._written: dict[str, Path] | None = None  # safe name -> file, read once per sink

    @staticmethod
    def safe_name(message_id: str) -> str:
        """A file-name part for `message_id`: readable, and distinct for distinct ids."""
        readable = _UNSAFE_FILENAME.sub("_", message_id.strip().strip("<>")).strip("._")[:80]
        digest = hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        return f"{readable}-{digest}" if readable else digest

    def path_for(self, message_id: str) -> Path | None:
        """The file already written for `message_id`, if any."""
        if self._written is None:  # list the folder once, not once per mail
            self._written = {
                entry.name.partition("-")[2]: entry
                for entry in self._outdir.iterdir()
                if not entry.name.startswith(".")
            }
        found = self._written.get(f"{self.safe_name(message_id)}.eml")
        return found if found is not None and found.exists() else None

    def deliver(self, batch: Sequence[Envelope]) -> list[DeliveryResult]:
        """Write every envelope; a write error is RETRY for that mail (disk full, permissions)."""
        return [self._write(envelope) for envelope in batch]

    def _write(self, envelope: Envelope) -> DeliveryResult:
        try:
            existing = self.path_for(envelope.message_id)
            if existing is not None:
                log.info("%s already written to %s", envelope.message_id, existing)
                return _uniform(envelope, Outcome.SENT, None, f"already written to {existing}")
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            target = self._outdir / f"{stamp}-{self.safe_name(envelope.message_id)}.eml"
            fd, tmp = tempfile.mkstemp(dir=self._outdir, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(envelope.data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)
                if self._written is not None:
                    self._written[target.name.partition("-")[2]] = target
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("%s not written to %s: %s", envelope.message_id, self._outdir, exc)
            return _uniform(envelope, Outcome.RETRY, None, f"cannot write to {self._outdir}: {exc}")
        log.info("%s written to %s", envelope.message_id, target)
        return _uniform(envelope, Outcome.SENT, None, f"written to {target}")

    def close(self) -> None:
        """Nothing to release; present to satisfy `Sink`."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
