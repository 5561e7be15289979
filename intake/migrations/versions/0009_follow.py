"""follow: links that let a submitter follow their submission and answer questions without an account

Revision ID: 0009_follow
Revises: 0008
Create Date: 2026-11-22 05:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009_follow"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "follow_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_follow_link_submission_id"), "follow_link", ["submission_id"], unique=False)
    op.create_index(op.f("ix_follow_link_token_hash"), "follow_link", ["token_hash"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_follow_link_token_hash"), table_name="follow_link")
    op.drop_index(op.f("ix_follow_link_submission_id"), table_name="follow_link")
    op.drop_table("follow_link")
