"""The SMTP sink: hands finished mail to a submission server with smtplib.

`SmtpSink.deliver` returns one `DeliveryResult` per envelope, in order: `SENT`, `RETRY` (4xx
replies, refused or dropped connections, timeouts, certificate failures: a later attempt may
succeed) or `FAILED` (5xx replies: the server refused for good), with the SMTP code and the
server's words. It reuses one connection for the whole batch. Delivery failures are reported,
never raised; `DeliveryError` is raised only for misconfiguration, and only before anything of
the batch was delivered. This module keeps no state between batches beyond an open connection:
the outbox rows, their states, the retry schedule and the number of attempts live in
`mailflow.answering.outbox`; the envelope and result types in `mailflow.answering.sinks.base`;
composing the mail lives in `mailflow.answering.compose`; one mail's MAIL/RCPT/DATA dialogue in
`mailflow.answering.sinks.smtp_transaction`.

Decisions worth knowing:

* A certificate that fails verification is `RETRY` for every message of the batch not yet sent,
  with a reply starting ``TLS certificate verification failed`` and a WARNING in the log: the mail
  is not at fault and an administrator can fix the certificate or ``ca_file``; the result is
  marked `DeliveryResult.misconfigured`, so the outbox does not count it as an attempt. A server
  that does not offer STARTTLS, or refuses the credentials for good, is misconfiguration and
  raises `DeliveryError` (or, after part of a batch was sent, RETRY marked `misconfigured`); so
  does a password that would cross the network unencrypted (``security = none`` to a host that is
  not loopback).
* A 421 reply or a dropped connection ends the connection; the next message of the batch opens a
  new one, and after two such messages in a row the rest of the batch is `RETRY` untried.
  Refused connections and timeouts are `RETRY` for every message not yet sent.
* Mails of a batch follow each other on the connection with nothing in between, as smtplib's own
  `sendmail` loop does; an RSET checks the connection only at the start of a batch (it may have
  timed out while idle) and after a transaction that did not reach the end of DATA.
* One mail's dialogue (MAIL FROM, RCPT TO, DATA; a mail some recipients refused) is
  `mailflow.answering.sinks.smtp_transaction`. It tells a drop before DATA from one during DATA:
  the first is retried at once on a new connection (nothing was accepted), the second is `RETRY`
  for a later attempt under the same Message-ID (the server may have kept the mail).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Self

from mailflow.answering.sinks.base import (
    DeliveryResult,
    Envelope,
    OnResult,
    Outcome,
    outcome_for,
    redacted,
    reply_text,
    uniform,
)
from mailflow.answering.sinks.smtp_transaction import Attempt, Dropped, transaction
from mailflow.auth import Responder, choose, oauthbearer, xoauth2
from mailflow.config import SECURITY_MODES, is_loopback
from mailflow.errors import AuthError, DeliveryError
from mailflow.redact import redact, register

__all__ = ["SmtpServer", "SmtpSink"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpServer:
    """How to reach the submission server; certificates are always checked for ssl/starttls.

    `mailflow.answering.sinks.configured.make_sink` makes it from the ``[smtp]`` settings
    (`mailflow.config.SmtpSettings`), which also hold what the outbox needs (sender, retries).
    """

    host: str
    port: int
    security: str  # "ssl" | "starttls" | "none"
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_file: str | None = None
    local_hostname: str | None = None
    #: With OAuth2: gives an access token for ``user`` (a new one when called with fresh=True).
    bearer: Callable[..., str] | None = None

    def __repr__(self) -> str:  # keep the password out of logs and tracebacks
        return (
            f"SmtpServer(host={self.host!r}, port={self.port!r}, security={self.security!r}, "
            f"user={self.user!r}, password={'***' if self.password else None}, "
            f"timeout={self.timeout!r}, ca_file={self.ca_file!r}, "
            f"local_hostname={self.local_hostname!r})"
        )


#: The pause before a temporarily refused AUTH is tried again on the same connection.
AUTH_AGAIN_AFTER_S = 0.5


class _ConnectionFailed(Exception):
    """No usable connection: every message not yet sent is RETRY. ``misconfigured``: the
    settings cannot work (`DeliveryError` if nothing was tried yet); ``configuration``: not the
    mail's fault (results marked `DeliveryResult.misconfigured`, no attempt counted)."""

    def __init__(
        self,
        reply: str,
        *,
        code: int | None = None,
        misconfigured: bool = False,
        configuration: bool = False,
    ):
        super().__init__(reply)
        self.reply = reply
        self.code = code
        self.misconfigured = misconfigured
        self.configuration = configuration or misconfigured


class SmtpSink:
    """Delivers over SMTP with smtplib, one connection reused for a batch (and across batches)."""

    def __init__(self, settings: SmtpServer, *, ssl_context: ssl.SSLContext | None = None):
        if settings.security not in SECURITY_MODES:
            raise DeliveryError(
                f"smtp.security must be one of {', '.join(SECURITY_MODES)}, "
                f"not {settings.security!r}",
                permanent=True,
            )
        if settings.user and settings.security == "none" and not is_loopback(settings.host):
            raise DeliveryError(
                f"refusing to send the SMTP password unencrypted to {settings.host}; "
                "use security = ssl or starttls",
                permanent=True,
            )
        register(settings.password)  # a server may echo it back in a refusal
        self._settings = settings
        # Only a TLS connection needs a context: building one loads the system's CA
        # certificates (0.045 s of every flush to a plain loopback server). Built here, so a
        # bad ca_file fails before any mail is claimed.
        self._context: ssl.SSLContext | None = None
        if settings.security != "none":
            self._context = self._make_context(settings, ssl_context)
        self._conn: smtplib.SMTP | None = None
        self._fresh = False  # no transaction yet on the current connection
        # RSET before the next transaction: at the start of each batch (the connection may have
        # timed out while idle) and after a transaction that did not reach the end of DATA.
        # Between mails that completed, the server is ready for the next MAIL FROM already.
        self._check_before_use = False

    @staticmethod
    def _make_context(settings: SmtpServer, given: ssl.SSLContext | None) -> ssl.SSLContext:
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

    def deliver(
        self, batch: Sequence[Envelope], on_result: OnResult | None = None
    ) -> list[DeliveryResult]:
        """Deliver every envelope; never raises for delivery failures (see the module docstring).

        Each result goes to ``on_result`` as soon as the server answered (the end of DATA for a
        mail it accepted), before the next mail is tried. Raises `DeliveryError` for
        misconfiguration (no STARTTLS offered, credentials refused for good, AUTH not offered)
        if it shows before any message of the batch was tried; later it is reported as RETRY,
        marked `misconfigured`, for the rest of the batch, so no result is ever lost.
        """
        results: list[DeliveryResult] = []

        def done(result: DeliveryResult) -> None:
            result = redacted(result)
            results.append(result)
            if on_result is not None:
                on_result(len(results) - 1, result)

        drops_in_a_row, last_reply = 0, ""
        self._check_before_use = True
        for index, envelope in enumerate(batch):
            if drops_in_a_row >= 2:  # the server keeps hanging up: leave the rest for later
                for result in self._retry_rest(batch[index:], None, "not tried: " + last_reply):
                    done(result)
                break
            try:
                attempt = self._deliver_one(envelope)
            except _ConnectionFailed as exc:
                if exc.misconfigured and not results:
                    raise DeliveryError(redact(exc.reply), code=exc.code, permanent=True) from None
                if exc.misconfigured:
                    log.warning("%s", redact(exc.reply))
                rest = self._retry_rest(
                    batch[index:], exc.code, exc.reply, misconfigured=exc.configuration
                )
                for result in rest:
                    done(result)
                break
            done(attempt.result)
            log.info(
                "%s %s: %s %s",
                envelope.message_id,
                results[-1].outcome,
                results[-1].code,
                results[-1].reply,
            )
            if attempt.connection_lost:
                self._drop()
                drops_in_a_row += 1
                last_reply = attempt.result.reply
            else:
                drops_in_a_row = 0
        return results

    def _retry_rest(
        self, rest: Sequence[Envelope], code: int | None, reply: str, *, misconfigured: bool = False
    ) -> list[DeliveryResult]:
        for envelope in rest:
            log.info("%s retry: %s", envelope.message_id, redact(reply))
        return [
            uniform(envelope, Outcome.RETRY, code, reply, misconfigured=misconfigured)
            for envelope in rest
        ]

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

    def _deliver_one(self, envelope: Envelope) -> Attempt:
        conn = self._connection()
        reused = not self._fresh  # a fresh connection that fails is not reconnected again
        try:
            return self._transaction(conn, envelope)
        except Dropped as exc:
            self._drop()
            if not (exc.before_data and reused):
                return Attempt(uniform(envelope, Outcome.RETRY, None, exc.reply), True)
            log.debug("connection to %s went away before DATA; reconnecting once", self._where)
        conn = self._connection()
        try:
            return self._transaction(conn, envelope)
        except Dropped as exc:
            self._drop()
            return Attempt(uniform(envelope, Outcome.RETRY, None, exc.reply), True)

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
                self._sign_in(conn)
        except AuthError as exc:  # no token to be had: a person must act, or the provider is down
            if conn is not None:
                conn.close()
            raise _ConnectionFailed(str(exc), misconfigured=exc.signin_needed) from exc
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
            raise _ConnectionFailed(reply, configuration=True) from exc
        except smtplib.SMTPResponseException as exc:  # e.g. a 421/554 greeting
            if conn is not None:
                conn.close()
            raise _ConnectionFailed(
                f"{self._where}: {reply_text(exc.smtp_error)}", code=exc.smtp_code
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:  # refused, timeout, DNS, TLS, disconnect
            if conn is not None:
                conn.close()
            raise _ConnectionFailed(f"cannot reach {self._where}: {exc}") from exc
        log.debug("connected to %s", self._where)
        return conn

    def _sign_in(self, conn: smtplib.SMTP) -> None:
        """AUTH, once more on the same connection after a temporary refusal: Postfix answers
        "454 4.7.0 Temporary authentication failure" when it lost its own connection to the SASL
        server (Dovecot's auth), and opens a new one for the next AUTH."""
        login = self._oauth_login if self._settings.bearer is not None else self._login
        try:
            login(conn)
        except _ConnectionFailed as exc:
            if exc.code is None or outcome_for(exc.code) is not Outcome.RETRY:
                raise
            log.info("%s: AUTH refused for now (%s); trying once more", self._where, exc.code)
            time.sleep(AUTH_AGAIN_AFTER_S)
            login(conn)

    def _login(self, conn: smtplib.SMTP) -> None:
        s = self._settings
        assert s.user is not None
        log.debug("AUTH as %s", s.user)
        try:
            conn.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            words = reply_text(exc.smtp_error)
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

    def _oauth_login(self, conn: smtplib.SMTP) -> None:
        """AUTH with an access token; once more with a new token if the server refuses it."""
        s = self._settings
        assert s.user is not None and s.bearer is not None
        mechanism = choose(conn.esmtp_features.get("auth", ""))
        for fresh in (False, True):
            token = s.bearer(fresh=fresh)
            if mechanism == "XOAUTH2":
                initial = xoauth2(s.user, token)
            else:
                initial = oauthbearer(s.user, token, s.host, s.port)
            log.debug("AUTH %s as %s", mechanism, s.user)
            try:
                conn.auth(mechanism, Responder(initial), initial_response_ok=True)
                return
            except smtplib.SMTPAuthenticationError as exc:
                if fresh or outcome_for(exc.smtp_code) is Outcome.RETRY:
                    raise _ConnectionFailed(
                        f"{self._where} refused the access token of {s.user}: "
                        f"{exc.smtp_code} {reply_text(exc.smtp_error)}",
                        code=exc.smtp_code,
                        misconfigured=outcome_for(exc.smtp_code) is not Outcome.RETRY,
                    ) from exc
                log.info("%s refused the access token; trying a new one", self._where)
            except smtplib.SMTPException as exc:
                if isinstance(exc, smtplib.SMTPServerDisconnected):
                    raise
                raise _ConnectionFailed(
                    f"{self._where}: AUTH {mechanism}: {exc}", misconfigured=True
                ) from exc

    def _transaction(self, conn: smtplib.SMTP, envelope: Envelope) -> Attempt:
        self._fresh = False
        self._check_before_use = True  # until the server answered the end of DATA
        attempt = transaction(conn, envelope, self._where)
        self._check_before_use = not attempt.data_answered
        return attempt
