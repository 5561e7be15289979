"""jobs: work owed to each submission (its triage flow), leased by workers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = ("queued", "running", "done", "failed")


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("state", sa.Enum(*_STATES, name="jobstate", native_enum=False, length=20), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("flow_run_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_id", "kind", name="uq_job_submission_kind"),
    )
    op.create_index(op.f("ix_job_state"), "job", ["state"], unique=False)
    op.create_index(op.f("ix_job_submission_id"), "job", ["submission_id"], unique=False)
    # Submissions that arrived before jobs existed never went through triage: queue it for them,
    # so that an upgrade loses nothing either.
    op.execute(
        "INSERT INTO job (submission_id, kind, state, attempts, created_at, updated_at) "
        "SELECT id, 'triage', 'queued', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP "
        "FROM submission WHERE step = 'steg-0'"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_job_submission_id"), table_name="job")
    op.drop_index(op.f("ix_job_state"), table_name="job")
    op.drop_table("job")
