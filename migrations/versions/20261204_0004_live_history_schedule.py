"""Live history: due marks and leases per history, logins, webhook subscriptions."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def _when(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    op.create_table(
        "live_owners",
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        _when("due_at"),
        sa.Column("due_seq", sa.BigInteger(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("lease_holder", sa.String(length=128), nullable=False),
        _when("lease_until"),
        sa.Column("claimed_seq", sa.BigInteger(), nullable=False),
        sa.Column("counter", sa.BigInteger(), nullable=False),
        _when("history_from"),
        sa.Column("filling", sa.Boolean(), nullable=False),
        _when("last_sync_at"),
        _when("checked_at"),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_live_owners")),
    )
    op.create_index(op.f("ix_live_owners_due_at"), "live_owners", ["due_at"], unique=False)
    op.create_table(
        "live_logins",
        sa.Column("login_key", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("company", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("login_id", sa.LargeBinary(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("login_key", name=op.f("pk_live_logins")),
    )
    op.create_index(op.f("ix_live_logins_owner"), "live_logins", ["owner"], unique=False)
    op.create_index(op.f("ix_live_logins_company"), "live_logins", ["company"], unique=False)
    op.create_table(
        "live_subscriptions",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("company", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _when("expires_at"),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("login_key", sa.String(length=64), nullable=False),
        _when("created_at"),
        _when("checked_at"),
        sa.Column("renew", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_subscriptions")),
    )
    op.create_index(
        op.f("ix_live_subscriptions_owner"), "live_subscriptions", ["owner"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_live_subscriptions_owner"), table_name="live_subscriptions")
    op.drop_table("live_subscriptions")
    op.drop_index(op.f("ix_live_logins_company"), table_name="live_logins")
    op.drop_index(op.f("ix_live_logins_owner"), table_name="live_logins")
    op.drop_table("live_logins")
    op.drop_index(op.f("ix_live_owners_due_at"), table_name="live_owners")
    op.drop_table("live_owners")
