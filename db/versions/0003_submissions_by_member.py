"""An index to find a member's latest submission without scanning the campaign.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 14:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_submissions_campaign_member_version",
            ["campaign_id", "member_id", "version"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_campaign_member_version")
