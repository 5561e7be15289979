"""workflow: the history of step changes, with forum decisions and merge links

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "step_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("from_step", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("to_step", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("overridden", sa.JSON(), nullable=False),
        sa.Column("forum", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column(
            "merged_into_kind",
            sa.Enum("submission", "portfolio", name="itemkind", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("merged_into_key", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_step_change_submission_id"), "step_change", ["submission_id"], unique=False)
    op.create_index(op.f("ix_step_change_merged_into_key"), "step_change", ["merged_into_key"], unique=False)
    op.create_index(op.f("ix_step_change_at"), "step_change", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_step_change_at"), table_name="step_change")
    op.drop_index(op.f("ix_step_change_merged_into_key"), table_name="step_change")
    op.drop_index(op.f("ix_step_change_submission_id"), table_name="step_change")
    op.drop_table("step_change")
