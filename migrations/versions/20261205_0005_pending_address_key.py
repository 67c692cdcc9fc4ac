"""Address key on pending sign-ins: sign-ins in progress are capped per client address."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    with op.batch_alter_table("pending_sign_ins") as batch:
        # Rows from before have no address key: they count as one unknown address
        # until they expire (minutes).
        batch.add_column(
            sa.Column("address_key", sa.String(length=64), nullable=False, server_default="")
        )
        batch.create_index(op.f("ix_pending_sign_ins_address_key"), ["address_key"], unique=False)
    with op.batch_alter_table("pending_sign_ins") as batch:
        batch.alter_column("address_key", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("pending_sign_ins") as batch:
        batch.drop_index(op.f("ix_pending_sign_ins_address_key"))
        batch.drop_column("address_key")
