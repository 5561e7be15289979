"""mail: inbound mails stored raw first, exactly once; the poll lease; acknowledgements per address and day

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = ("received", "handling", "submitted", "reply", "automatic", "quarantined")


def upgrade() -> None:
    op.add_column("submission", sa.Column("follow_up_text", sa.Text(), nullable=True))
    op.create_table(
        "inbound_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("state", sa.Enum(*_STATES, name="mailstate", native_enum=False, length=20), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sender", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("sender_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("automatic_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("degraded", sa.JSON(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("ack_message_id", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("ack_state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", "sha256", name="uq_inbound_mail_key"),
    )
    op.create_index(op.f("ix_inbound_mail_message_id"), "inbound_mail", ["message_id"], unique=False)
    op.create_index(op.f("ix_inbound_mail_state"), "inbound_mail", ["state"], unique=False)
    op.create_index(op.f("ix_inbound_mail_sender"), "inbound_mail", ["sender"], unique=False)
    op.create_index(op.f("ix_inbound_mail_submission_id"), "inbound_mail", ["submission_id"], unique=False)
    op.create_index(op.f("ix_inbound_mail_ack_message_id"), "inbound_mail", ["ack_message_id"], unique=False)
    op.create_index(op.f("ix_inbound_mail_received_at"), "inbound_mail", ["received_at"], unique=False)
    op.create_table(
        "mailbox_lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "mail_ack_count",
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("day", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("address", "day"),
    )


def downgrade() -> None:
    op.drop_table("mail_ack_count")
    op.drop_table("mailbox_lease")
    for column in ("received_at", "ack_message_id", "submission_id", "sender", "state", "message_id"):
        op.drop_index(op.f(f"ix_inbound_mail_{column}"), table_name="inbound_mail")
    op.drop_table("inbound_mail")
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("follow_up_text")
