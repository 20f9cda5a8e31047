"""What the answering stage is given and gives back: issues, campaign facts, confirmations, mail.

Plain frozen dataclasses with no behaviour beyond `IssueNote.of`, shared by
`mailflow.answering.explain` (which words issues) and `mailflow.answering.compose` (which writes
the mail and re-exports these names).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

__all__ = ["CampaignInfo", "Confirmation", "IssueNote", "Outgoing"]


@dataclass(frozen=True)
class IssueNote:
    """One validation issue, as `mailflow.reading.validate` reports it."""

    code: str
    severity: str  # "error" | "hold" | "warning"
    params: Mapping[str, str | int] = field(default_factory=dict)

    @classmethod
    def of(cls, issue: _IssueLike) -> IssueNote:
        """The note for a `mailflow.reading.validate.Issue` (or anything with the same fields)."""
        return cls(code=issue.code, severity=str(issue.severity), params=dict(issue.params))


class _IssueLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def params(self) -> Mapping[str, str | int]: ...


@dataclass(frozen=True)
class CampaignInfo:
    """What a mail needs to know about the campaign; ``deadline`` is aware, in its time zone."""

    name: str
    association: str
    deadline: datetime
    word_limit: int
    from_address: str
    reply_to: str
    report_sent_at: datetime | None = None  # the campaign's report already went to IFLA


@dataclass(frozen=True)
class Confirmation:
    """What to confirm to a member; every str from their mail is untrusted."""

    to_address: str
    to_name: str
    language: str
    original_subject: str
    original_message_id: str | None
    original_references: tuple[str, ...]
    received_at: datetime
    attachments_read: tuple[str, ...]
    status: str  # "accepted" | "needs_revision"
    issues: tuple[IssueNote, ...]
    action_lines: tuple[str, ...]
    links: tuple[str, ...]
    word_count: int
    version: int


@dataclass(frozen=True)
class Outgoing:
    """A finished mail: the outbox stores ``data`` and sends it unchanged."""

    message_id: str
    to_address: str
    subject: str
    data: bytes
