"""Indexes for the campaign status on large ledgers

The status (``mailflow status``, the console's dashboard) counts inbound messages by kind and
state, lists the latest member notes and the last failed mail. Without these indexes each of
those read every row, and the rows hold the raw message (inbound) or the built mail (outbox), so
a status of a 10,000-message ledger spent about 100 ms reading past them.

Revision ID: i18_status_indexes
Revises: i18_web_console
Create Date: 2026-12-03 11:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "i18_status_indexes"
down_revision: str | None = "i18_web_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_messages_kind", ["kind"], unique=False)
        batch_op.create_index("ix_inbound_messages_state", ["state"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_state_updated_at", ["state", "updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_state_updated_at")
    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_messages_state")
        batch_op.drop_index("ix_inbound_messages_kind")
