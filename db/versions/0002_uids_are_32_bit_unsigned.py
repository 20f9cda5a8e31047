"""IMAP UIDs and UIDVALIDITY are 32-bit unsigned: store them as BIGINT

PostgreSQL's INTEGER stops at 2**31 - 1, and a server may hand out UIDs and UIDVALIDITY values
up to 2**32 - 1. SQLite stores any integer either way; batch mode rebuilds its tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "inbound_messages": (("uidvalidity", False), ("uid", True)),
    "mailbox_cursors": (("uidvalidity", False), ("last_uid", False)),
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, nullable in columns:
                batch_op.alter_column(
                    name,
                    existing_type=sa.Integer(),
                    type_=sa.BigInteger(),
                    existing_nullable=nullable,
                )


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, nullable in columns:
                batch_op.alter_column(
                    name,
                    existing_type=sa.BigInteger(),
                    type_=sa.Integer(),
                    existing_nullable=nullable,
                )
