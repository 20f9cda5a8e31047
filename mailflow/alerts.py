"""Alerts when mail stops flowing: one mail when it stopped, one when it works again.

`mailflow serve` tells `Alerts` after each attempt to read the mailbox (``fetch``) or to deliver
the outbox (``send``) whether it worked. A failure opens an *incident* in the ledger (one per
kind at a time) and keeps its latest error; once an incident is older than
``alerts.after_minutes`` (at once when a person must act: a sign-in that was revoked, refused
credentials) one alert mail goes to ``alerts.to``. When the same kind works again the incident
is closed, and if an alert went out (or was due but could not be mailed) one more mail says it
works again; a short failure that healed before the threshold is closed without a word. So an
incident gives at most two mails, however long it lasts and however often it fails.

The alert is sent straight through the configured sink, not through the outbox: the outbox may
be what is stuck. When sending itself is what fails, the alert cannot leave; it stays in the
log and in `mailflow status` (`open_incidents`), and the mail that says it works again tells the
whole story once sending works. Every incident stays in the ledger as a record. This module
decides and writes the mails; the service decides what counts as a failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime, parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mailflow.answering.outbox import Delivery, make_sink
from mailflow.answering.sinks import Envelope, Outcome
from mailflow.answering.wire import Raw, config_header, header_line, make_message_id, text_part
from mailflow.auth import Clock, Credentials, utc_now
from mailflow.config import Settings
from mailflow.errors import AuthError, DeliveryError, MailflowError, NotSentError
from mailflow.ledger import Ledger
from mailflow.ledger.models import Incident
from mailflow.redact import redact

log = logging.getLogger(__name__)

KINDS = ("fetch", "send")
_WHAT = {"fetch": "read the mailbox", "send": "send mail"}


def needs_a_person(error: BaseException) -> bool:
    """Whether retrying cannot fix ``error``: a lost sign-in or credentials refused for good."""
    if isinstance(error, AuthError):
        return error.signin_needed
    return isinstance(error, DeliveryError) and error.permanent


@dataclass(frozen=True)
class _Mail:
    subject: str
    body: str


class Alerts:
    """The incidents of one mailbox and the mails about them."""

    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        *,
        credentials: Credentials | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.credentials = credentials  # for SMTP with OAuth2
        self.clock = clock
        self.after = timedelta(minutes=settings.alerts.after_minutes)

    # -- what the service reports ----------------------------------------------------------------
    def failed(self, kind: str, error: BaseException) -> None:
        """``kind`` did not work: open or extend its incident; alert when it is due."""
        _never_raising(self._failed, kind, error)

    def succeeded(self, kind: str) -> None:
        """``kind`` worked: close its incident, and say so if an alert was (or was to be) sent."""
        _never_raising(self._succeeded, kind)

    def delivered(self, counts: Delivery) -> None:
        """The outcome of an outbox flush: any mail sent means sending works; mail put back
        for a retry and none sent means it does not (a flush with nothing due says nothing)."""
        if counts.get("sent"):
            self.succeeded("send")
        elif counts.get("retry"):
            self.failed("send", NotSentError(counts["retry"], "; ".join(counts.reasons) or "?"))

    def _failed(self, kind: str, error: BaseException) -> None:
        now = self.clock()
        text = redact(f"{error}")[:2000]
        urgent = needs_a_person(error)
        with self.ledger.transaction() as session:
            incident = self._open(session, kind)
            if incident is None:
                incident = Incident(kind=kind, started_at=now, mail_error="", error="")
                session.add(incident)
                log.warning("mail stopped flowing: cannot %s: %s", _WHAT[kind], text)
            incident.last_failed_at = now
            incident.error = text
            incident.signin_needed = urgent
            # Commit point: the incident is recorded before any mail about it is tried.
        self._alert_if_due(kind)

    def _succeeded(self, kind: str) -> None:
        now = self.clock()
        with self.ledger.transaction() as session:
            incident = self._open(session, kind)
            if incident is None:
                return
            incident.resolved_at = now
            owed = incident.alerted_at is not None or self._due(incident, now)
            log.info("mail flows again: %s works (since %s)", kind, incident.started_at)
            mail = self._resolved_mail(incident, now) if owed and self._to else None
            incident_id = incident.id
        if mail is not None:
            self._send(incident_id, mail, "resolved_mailed_at")

    def open_incidents(self) -> list[dict[str, Any]]:
        """The incidents not resolved yet, for `status` (oldest first)."""
        with self.ledger.transaction() as session:
            rows = session.scalars(
                select(Incident).where(Incident.resolved_at.is_(None)).order_by(Incident.id)
            )
            return [
                {
                    "kind": row.kind,
                    "since": row.started_at.isoformat(),
                    "error": row.error,
                    "signin_needed": row.signin_needed,
                    "alerted_at": row.alerted_at.isoformat() if row.alerted_at else None,
                    "alert_not_sent": row.mail_error or None,
                }
                for row in rows
            ]

    # -- deciding --------------------------------------------------------------------------------
    @property
    def _to(self) -> str:
        return self.settings.alerts.to

    def _open(self, session: Session, kind: str) -> Incident | None:
        query = select(Incident).where(Incident.kind == kind, Incident.resolved_at.is_(None))
        return session.scalars(query.order_by(Incident.id.desc()).limit(1)).first()

    def _due(self, incident: Incident, now: datetime) -> bool:
        return incident.signin_needed or now - incident.started_at >= self.after

    def _alert_if_due(self, kind: str) -> None:
        now = self.clock()
        with self.ledger.transaction() as session:
            incident = self._open(session, kind)
            if incident is None or incident.alerted_at is not None or not self._due(incident, now):
                return
            if incident.kind == "send" and incident.mail_error:
                return  # sending is what fails: the mail saying it works again tells it all
            if not self._to:
                if not incident.mail_error:
                    log.error("ALERT (alerts.to is not set, so no mail): %s", incident.error)
                    incident.mail_error = "alerts.to is not set"
                return
            mail = self._alert_mail(incident)
            incident_id = incident.id
        self._send(incident_id, mail, "alerted_at")

    # -- the mails -------------------------------------------------------------------------------
    def _alert_mail(self, incident: Incident) -> _Mail:
        mailbox = self.settings.imap.user
        since = _when(incident.started_at)
        lines = [
            f"mailflow cannot {_WHAT[incident.kind]} for {mailbox} since {since}.",
            "",
            f"The last error: {incident.error}",
            "",
        ]
        if incident.signin_needed:
            lines += [
                "This will not heal by itself: a person must act. If the sign-in was revoked or",
                "has expired, run `mailflow auth login` on the server; if credentials were",
                "refused, check the settings the error names.",
            ]
        else:
            lines += [
                "mailflow keeps trying. If the server is down for maintenance there is nothing",
                "to do; otherwise check the server and the network.",
            ]
        lines += [
            "",
            "You will get one more mail when it works again; `mailflow status` shows the state.",
        ]
        return _Mail(
            f"mailflow: cannot {_WHAT[incident.kind]} for {mailbox}", "\n".join(lines) + "\n"
        )

    def _resolved_mail(self, incident: Incident, now: datetime) -> _Mail:
        mailbox = self.settings.imap.user
        lasted = _duration(now - incident.started_at)
        text = (
            f"mailflow can {_WHAT[incident.kind]} for {mailbox} again since {_when(now)}.\n\n"
            f"It could not from {_when(incident.started_at)} ({lasted}).\n"
            f"The last error was: {incident.error}\n"
        )
        if incident.alerted_at is None and incident.mail_error:
            text += f"\nThe alert about it could not be sent: {incident.mail_error}\n"
        return _Mail(f"mailflow: {_WHAT[incident.kind]} works again for {mailbox}", text)

    def _send(self, incident_id: int, mail: _Mail, mark: str) -> None:
        """Send ``mail`` now; record when it left, or why it could not."""
        smtp = self.settings.smtp
        message_id = make_message_id(smtp.from_)
        head = (
            header_line("From", config_header(smtp.from_, "From", "smtp.from"))
            + header_line("To", config_header(self._to, "To", "alerts.to"))
            + header_line("Subject", mail.subject)
            + header_line("Date", format_datetime(self.clock()))
            + header_line("Message-ID", Raw(message_id))
            + header_line("Auto-Submitted", "auto-generated")
            + "MIME-Version: 1.0\r\n"
        )
        envelope = Envelope(
            message_id=message_id,
            sender=smtp.from_address,
            recipients=(parseaddr(self._to)[1],),
            data=head.encode("ascii") + text_part(mail.body, "plain"),
        )
        error = ""
        try:
            sink = make_sink(smtp, self.credentials)
            try:
                [result] = sink.deliver([envelope])
            finally:
                sink.close()
            if result.outcome is not Outcome.SENT:
                error = f"{result.code or ''} {result.reply}".strip()
        except MailflowError as exc:
            error = str(exc)
        with self.ledger.transaction() as session:
            incident = session.get(Incident, incident_id)
            assert incident is not None
            if error:
                incident.mail_error = redact(error)[:2000]
            else:
                setattr(incident, mark, self.clock())
                incident.mail_error = ""
        if error:
            log.error("ALERT could not be mailed to %s (%s): %s", self._to, error, mail.subject)
        else:
            log.warning("alert mailed to %s: %s", self._to, mail.subject)


def _never_raising(action: Callable[..., None], *args: Any) -> None:
    """Run ``action``; an alert that cannot be recorded must not stop the service."""
    try:
        action(*args)
    except (SQLAlchemyError, MailflowError, OSError) as exc:
        log.error("alerts: %s: %s", exc.__class__.__name__, redact(str(exc))[:300])


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} hours {minutes} minutes" if minutes else f"{hours} hours"
