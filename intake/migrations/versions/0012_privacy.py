"""privacy: erasure ledger, index removals, the daily culling run, anonymised/unindexed marks

Revision ID: 0012_privacy
Revises: 0011_forum_membership
Create Date: 2026-12-07 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012_privacy"
down_revision: str | None = "0011_forum_membership"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("unindexed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("subject_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("pending_flow_runs", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_erasure_at"), "erasure", ["at"], unique=False)
    op.create_index(op.f("ix_erasure_subject_hash"), "erasure", ["subject_hash"], unique=False)
    op.create_table(
        "index_removal",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(op.f("ix_index_removal_at"), "index_removal", ["at"], unique=False)
    op.create_table(
        "retention_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("claim_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", name="uq_retention_run_day"),
    )


def downgrade() -> None:
    op.drop_table("retention_run")
    op.drop_index(op.f("ix_index_removal_at"), table_name="index_removal")
    op.drop_table("index_removal")
    op.drop_index(op.f("ix_erasure_subject_hash"), table_name="erasure")
    op.drop_index(op.f("ix_erasure_at"), table_name="erasure")
    op.drop_table("erasure")
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("unindexed_at")
        batch.drop_column("anonymised_at")
