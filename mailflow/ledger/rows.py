"""Rows that more than one process may create at once, and the campaign row kept in step.

`get_or_create` is how a row that two pollers could both insert is made (the mailbox cursor,
the campaign, a service event); `sync_campaign` keeps the campaign row equal to the config.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailflow.config import CampaignSettings
from mailflow.ledger.models import Campaign

T = TypeVar("T")


def get_or_create(session: Session, query: Select[T], make: Callable[[], T]) -> T:
    """The row ``query`` finds, else a new one from ``make``, also when another process races.

    Two transactions that both find nothing both insert; on PostgreSQL the second waits on the
    unique index until the first commits, then fails. That insert runs in a savepoint, so only
    the savepoint is undone, and the row the other process committed is read instead.
    (On SQLite ``BEGIN IMMEDIATE`` already keeps the two apart.)
    """
    found = session.scalars(query).first()
    if found is not None:
        return found
    created = make()
    session.flush()  # so an error below can only come from this insert
    try:
        with session.begin_nested():
            session.add(created)
    except IntegrityError:
        return session.scalars(query).one()
    return created


def sync_campaign(session: Session, settings: CampaignSettings) -> Campaign:
    """The campaign row named in the config, created or updated to match it."""
    campaign = get_or_create(
        session,
        select(Campaign).where(Campaign.name == settings.name),
        lambda: Campaign(
            name=settings.name,
            deadline=settings.deadline,
            word_limit=settings.word_limit,
            recipient=settings.recipient,
        ),
    )
    campaign.deadline = settings.deadline
    campaign.word_limit = settings.word_limit
    campaign.recipient = settings.recipient
    session.flush()
    return campaign
