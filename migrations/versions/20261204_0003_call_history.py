"""Call history: each owner's call records (encrypted) and where its sync stands."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "call_histories",
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("revision", sa.String(length=32), nullable=True),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("sync_token", sa.LargeBinary(), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("covers_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("backfill_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stale_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stale_latest", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_call_histories")),
    )
    op.create_index(
        op.f("ix_call_histories_stale_after"), "call_histories", ["stale_after"], unique=False
    )
    op.create_table(
        "call_records",
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("direction", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("result", sa.String(length=64), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("extension_id", sa.String(length=64), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=True),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("search", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("owner", "record_id", name=op.f("pk_call_records")),
    )
    op.create_index(
        "ix_call_records_owner_start_time",
        "call_records",
        ["owner", "start_time"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_call_records_owner_start_time", table_name="call_records")
    op.drop_table("call_records")
    op.drop_index(op.f("ix_call_histories_stale_after"), table_name="call_histories")
    op.drop_table("call_histories")
