"""Last-seen time and remembered refresh failure on logins; browser key on pending sign-ins."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("logins") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("refresh_failed_until", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("refresh_failure", sa.Text(), nullable=True))
        batch.create_index(op.f("ix_logins_last_seen_at"), ["last_seen_at"], unique=False)
    with op.batch_alter_table("pending_sign_ins") as batch:
        # Rows from before have no browser key: they count as one unknown browser
        # until they expire (minutes).
        batch.add_column(
            sa.Column("browser_key", sa.String(length=64), nullable=False, server_default="")
        )
        batch.create_index(op.f("ix_pending_sign_ins_browser_key"), ["browser_key"], unique=False)
    with op.batch_alter_table("pending_sign_ins") as batch:
        batch.alter_column("browser_key", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("pending_sign_ins") as batch:
        batch.drop_index(op.f("ix_pending_sign_ins_browser_key"))
        batch.drop_column("browser_key")
    with op.batch_alter_table("logins") as batch:
        batch.drop_index(op.f("ix_logins_last_seen_at"))
        batch.drop_column("refresh_failure")
        batch.drop_column("refresh_failed_until")
        batch.drop_column("last_seen_at")
