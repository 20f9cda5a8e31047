"""The compiled report's folder and manifest, the report a resend replaces, and the coordinator's
texts (edits of what goes to IFLA, English versions) beside the members' own.

Revision ID: i14_report_manifest
Revises: i13_confirmation_note
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i14_report_manifest"
down_revision: str | None = "i13_confirmation_note"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coordinator_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_coordinator_texts_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coordinator_texts")),
    )
    with op.batch_alter_table("coordinator_texts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coordinator_texts_submission_id", ["submission_id"], unique=False
        )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compiled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("folder", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("manifest", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_reports_replaces_id_reports", "reports", ["replaces_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_constraint("fk_reports_replaces_id_reports", type_="foreignkey")
        batch_op.drop_column("replaces_id")
        batch_op.drop_column("manifest")
        batch_op.drop_column("folder")
        batch_op.drop_column("compiled_at")
    with op.batch_alter_table("coordinator_texts", schema=None) as batch_op:
        batch_op.drop_index("ix_coordinator_texts_submission_id")
    op.drop_table("coordinator_texts")
