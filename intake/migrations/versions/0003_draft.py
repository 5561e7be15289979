"""draft: the initiative draft and checklist gaps of each submission

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 23:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = ("rules_only", "drafted", "draft_failed", "edited")


def upgrade() -> None:
    op.create_table(
        "draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column(
            "state", sa.Enum(*_STATES, name="draftstate", native_enum=False, length=20), nullable=False
        ),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("gaps", sa.JSON(), nullable=False),
        sa.Column("masked_text", sa.Text(), nullable=False),
        sa.Column("redaction", sa.JSON(), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("prompt_version", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_id"),
    )
    op.create_index(op.f("ix_draft_state"), "draft", ["state"], unique=False)
    op.create_index(op.f("ix_draft_updated_at"), "draft", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_draft_updated_at"), table_name="draft")
    op.drop_index(op.f("ix_draft_state"), table_name="draft")
    op.drop_table("draft")
