"""outbox ordering keys: messages to one recipient about one parcel go out one at a time, in event order

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Only pending rows can hold a later message back: the index the claim's "nothing earlier pending" test uses
# stays as small as the backlog.
PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    # Rows written before this revision keep NULL: they are delivered as before, without ordering.
    op.add_column("outbox", sa.Column("ordering_key", sa.String(64), nullable=True))
    op.create_index(
        "ix_outbox_ordering_key_pending",
        "outbox",
        ["ordering_key", "id"],
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_ordering_key_pending", table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("ordering_key")
