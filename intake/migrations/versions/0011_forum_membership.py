"""forum membership: the forums a forum account may see and decide for, as data an admin edits

Revision ID: 0011_forum_membership
Revises: 0010_api_keys
Create Date: 2026-12-07 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_forum_membership"
down_revision: str | None = "0010_api_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forum_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("forum_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "forum_key", name="uq_forum_membership"),
    )
    op.create_index(op.f("ix_forum_membership_account_id"), "forum_membership", ["account_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_forum_membership_account_id"), table_name="forum_membership")
    op.drop_table("forum_membership")
