"""Call histories: drop the stale mark (``stale_after``, ``stale_latest``), unused since 0004.

When a history's sync is due lives in the live schedule (``live_owners``). A downgrade
puts the columns and their index back, empty: nothing read them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("call_histories") as batch:
        batch.drop_index(op.f("ix_call_histories_stale_after"))
        batch.drop_column("stale_latest")
        batch.drop_column("stale_after")


def downgrade() -> None:
    with op.batch_alter_table("call_histories") as batch:
        batch.add_column(sa.Column("stale_after", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("stale_latest", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(op.f("ix_call_histories_stale_after"), ["stale_after"], unique=False)
