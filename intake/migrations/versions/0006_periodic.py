"""periodic: agendas sent by the schedule, daily reminder digests, questions to submitters

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _claim_columns() -> list[sa.Column[object]]:
    """The columns an agenda and a digest share: the outcome of sending, and who holds the send."""
    return [
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("claim_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "agenda_dispatch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("forum_key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("meeting_day", sa.Date(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=True),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=True),
        *_claim_columns(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("forum_key", "meeting_day", name="uq_agenda_dispatch_forum_day"),
    )
    op.create_index(op.f("ix_agenda_dispatch_sent_at"), "agenda_dispatch", ["sent_at"], unique=False)
    op.create_table(
        "reminder_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stale_count", sa.Integer(), nullable=False),
        sa.Column("question_count", sa.Integer(), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("empty", sa.Boolean(), nullable=False),
        *_claim_columns(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", name="uq_reminder_digest_day"),
    )
    op.create_table(
        "gap_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("gap_key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asked_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_gap_question_submission_id"), "gap_question", ["submission_id"], unique=False)
    op.create_index(op.f("ix_gap_question_asked_at"), "gap_question", ["asked_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_gap_question_asked_at"), table_name="gap_question")
    op.drop_index(op.f("ix_gap_question_submission_id"), table_name="gap_question")
    op.drop_table("gap_question")
    op.drop_table("reminder_digest")
    op.drop_index(op.f("ix_agenda_dispatch_sent_at"), table_name="agenda_dispatch")
    op.drop_table("agenda_dispatch")
