"""duplicate judge: the optional model's verdict beside each candidate's score

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("duplicate_candidate") as batch:
        batch.add_column(sa.Column("judge_verdict", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch.add_column(sa.Column("judge_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("judge_model", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch.add_column(sa.Column("judged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("duplicate_candidate") as batch:
        batch.drop_column("judged_at")
        batch.drop_column("judge_model")
        batch.drop_column("judge_reason")
        batch.drop_column("judge_verdict")
