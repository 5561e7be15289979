"""api keys and rate limits: machine access by scoped key, request counts in SQL, sent Message-IDs

Revision ID: 0010_api_keys
Revises: 0009_follow
Create Date: 2026-12-07 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_api_keys"
down_revision: str | None = "0009_follow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_api_key_prefix"), "api_key", ["prefix"], unique=True)
    op.create_table(
        "rate_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rate_hit_bucket_client_at", "rate_hit", ["bucket", "client", "at"], unique=False)
    op.create_index(op.f("ix_rate_hit_at"), "rate_hit", ["at"], unique=False)
    op.create_table(
        "sent_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_sent_message_message_id"), "sent_message", ["message_id"], unique=True)
    op.create_index(op.f("ix_sent_message_submission_id"), "sent_message", ["submission_id"], unique=False)
    # acknowledgements sent before this table existed: a reply to one still finds its submission
    op.execute(
        "INSERT INTO sent_message (message_id, submission_id, kind, sent_at) "
        "SELECT ack_message_id, submission_id, 'ack', COALESCE(handled_at, received_at) FROM inbound_mail "
        "WHERE ack_message_id IS NOT NULL AND submission_id IS NOT NULL"
    )
    with op.batch_alter_table("submission") as batch:
        batch.add_column(
            sa.Column("possible_reply_to", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("possible_reply_to")
    op.drop_index(op.f("ix_sent_message_submission_id"), table_name="sent_message")
    op.drop_index(op.f("ix_sent_message_message_id"), table_name="sent_message")
    op.drop_table("sent_message")
    op.drop_index(op.f("ix_rate_hit_at"), table_name="rate_hit")
    op.drop_index("ix_rate_hit_bucket_client_at", table_name="rate_hit")
    op.drop_table("rate_hit")
    op.drop_index(op.f("ix_api_key_prefix"), table_name="api_key")
    op.drop_table("api_key")
