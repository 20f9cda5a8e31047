"""The ledger's tables as SQLAlchemy 2.x declarative models.

Slim models: columns, keys and constraints. The words their kind, state and status columns hold,
and the moves allowed between them, are in `mailflow.states`. No queries and no business rules
live here: sessions and idempotent writes are in the other modules of `mailflow.ledger`, the
order of work in `mailflow.pipeline`.
Every change to these models needs an Alembic revision under ``db/versions``; a test compares a
database upgraded to head with this metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    inspect,
    literal_column,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from mailflow.states import InboundState, MessageKind, OutboxState, ReportState

# Constraint names are fixed by convention so migrations stay portable to PostgreSQL and SQLite's
# batch mode can find constraints by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; SQLite returns naive values, so reattach UTC on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; use an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def revision_column() -> Mapped[int]:
    """A counter the row's every UPDATE raises by one (in the UPDATE itself), so that a reader
    can tell a row changed without comparing its contents: `mailflow.campaign.report_changes`
    compares a contribution's revisions with those the sent report's manifest recorded."""
    return mapped_column(
        Integer, default=1, server_default="1", onupdate=literal_column("revision") + 1
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    def held_values(self) -> Mapping[str, Any]:
        """What this row holds in memory, by attribute name: its columns and relationships that
        were assigned or loaded; an attribute neither assigned nor loaded is absent (the ORM keeps
        its own bookkeeping there too, under ``_sa_instance_state``).

        Reading it loads nothing and costs one lookup per row, where reading the attributes one
        by one costs 1-2 µs for each attribute left unset: `mailflow.ledger.bulk` reads the new
        rows of a chunk through it. Read-only: changing it bypasses the ORM's bookkeeping.
        """
        return inspect(self).dict


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    word_limit: Mapped[int] = mapped_column(Integer)
    recipient: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    organisation: Mapped[str] = mapped_column(String(500), default="")
    country: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(16), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revision: Mapped[int] = revision_column()

    addresses: Mapped[list[MemberAddress]] = relationship(
        back_populates="member", cascade="all, delete-orphan", order_by="MemberAddress.id"
    )


class MemberAddress(Base):
    __tablename__ = "member_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(320), unique=True)  # lower-case
    undeliverable_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    member: Mapped[Member] = relationship(back_populates="addresses")


class MailboxCursor(Base):
    """The highest UID recorded per (account, folder, UIDVALIDITY)."""

    __tablename__ = "mailbox_cursors"
    __table_args__ = (UniqueConstraint("account", "folder", "uidvalidity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(500))
    folder: Mapped[str] = mapped_column(String(500))
    # IMAP UIDs and UIDVALIDITY are 32-bit unsigned: beyond PostgreSQL's INTEGER.
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("account", "folder", "uidvalidity", "uid"),
        UniqueConstraint("account", "folder", "source_key"),
        Index("ix_inbound_messages_sha256", "sha256"),
        Index("ix_inbound_messages_message_id", "message_id"),
        # status counts and lists by kind and state without reading the rows (raw is large)
        Index("ix_inbound_messages_kind", "kind"),
        Index("ix_inbound_messages_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(500))
    folder: Mapped[str] = mapped_column(String(500))
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    # Maildir messages have no UID: their key is the Maildir file's unique name instead.
    uid: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    source_key: Mapped[str] = mapped_column(String(500), default="")
    message_id: Mapped[str | None] = mapped_column(String(998), nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    internal_date: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sender: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(32), default=MessageKind.UNKNOWN.value)
    kind_reason: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16), default=InboundState.RECORDED.value)
    error: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_campaign_sender", "campaign_id", "sender_address"),
        Index("ix_submissions_campaign_member_version", "campaign_id", "member_id", "version"),
        # Covers `status`'s stamps of the accepted contributions (id, member, revision).
        Index(
            "ix_submissions_campaign_status_stamp",
            "campaign_id",
            "status",
            "id",
            "member_id",
            "revision",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id"), unique=True)
    sender_address: Mapped[str] = mapped_column(String(320))
    version: Mapped[int] = mapped_column(Integer, default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    full_text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(300), default="body")
    fields: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    action_lines: Mapped[list[str]] = mapped_column(JSON, default=list)
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    word_count_method: Mapped[str] = mapped_column(String(64), default="")
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    charset_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Why no confirmation was queued when one was due: "daily_limit" (the loop breaker), or "".
    confirmation_note: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revision: Mapped[int] = revision_column()

    inbound: Mapped[InboundMessage] = relationship()
    member: Mapped[Member | None] = relationship()
    # Set instead of supersedes_id when the earlier version is not flushed yet (same chunk).
    supersedes: Mapped[Submission | None] = relationship(remote_side=[id])


class OutboxMail(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_outbox_recipient_created_at", "recipient", "created_at"),
        Index("ix_outbox_state_updated_at", "state", "updated_at"),  # status: the last failure
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # confirmation | call | reminder | report
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    sender: Mapped[str] = mapped_column(String(320))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default=OutboxState.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    smtp_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    smtp_reply: Mapped[str] = mapped_column(Text, default="")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), nullable=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), nullable=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    # Set instead of submission_id when the submission is not flushed yet (same chunk).
    submission: Mapped[Submission | None] = relationship()


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    state: Mapped[str] = mapped_column(String(16), default=ReportState.DRAFT.value)
    subject: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[str] = mapped_column(Text, default="")
    submission_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    message_id: Mapped[str | None] = mapped_column(String(998), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # What `compile` wrote and `send-report` sends: the folder, and a manifest of its files'
    # hashes and the submission versions included (see mailflow.campaign.reporting).
    compiled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    folder: Mapped[str | None] = mapped_column(Text, nullable=True)
    manifest: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), nullable=True)


class CoordinatorText(Base):
    """A coordinator's text for a submission: an edit of what goes to IFLA, or an English version.

    Rows are only added: the latest of each kind is the one in use, earlier ones stay as history,
    and the member's own text stays untouched on the submission.
    """

    __tablename__ = "coordinator_texts"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # "edit" | "translation"
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ServiceEvent(Base):
    """Last-known facts about runs, by name: "last_poll", "last_error" (shown by `status`)."""

    __tablename__ = "service_events"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebUser(Base):
    """An account of the web console: a coordinator, or a viewer who only reads."""

    __tablename__ = "web_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16))  # coordinator | viewer
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WebSecret(Base):
    """Random keys of the web console, made once per ledger (the session-signing key)."""

    __tablename__ = "web_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Decision(Base):
    """A coordinator's decision, who made it and when: the audit trail of the console and CLI."""

    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_submission_id", "submission_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    who: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), nullable=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class OAuthToken(Base):
    """The OAuth2 tokens of one mailbox account (`mailflow.auth`); never shown or logged."""

    __tablename__ = "oauth_tokens"

    account: Mapped[str] = mapped_column(String(320), primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    access_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refresh_token: Mapped[str] = mapped_column(Text, default="")
    scopes: Mapped[str] = mapped_column(Text, default="")  # space-separated, as OAuth2 writes them
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Incident(Base):
    """A stretch of time during which mail stopped flowing, for `mailflow.alerts`.

    ``kind`` is ``fetch`` (the mailbox could not be read) or ``send`` (mail could not be sent);
    at most one of each kind is open (``resolved_at`` is None). ``alerted_at`` is when the alert
    mail left, ``resolved_mailed_at`` when the one saying it works again did.
    """

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_kind_resolved_at", "kind", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    error: Mapped[str] = mapped_column(Text, default="")
    signin_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    mail_error: Mapped[str] = mapped_column(Text, default="")  # why the last alert mail failed
