"""shared limits: one counter table for rate limits, lockouts and stream slots; the order-lookup attempt log goes

The order lookup lockout counts in ``limit_counter`` now (per merchant and order, and per client address),
so ``order_lookup_attempt`` is no longer written or read. Its rows only ever mattered for fifteen minutes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordertrail.storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "limit_counter",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("resets_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_limit_counter")),
    )
    with op.batch_alter_table("limit_counter", schema=None) as batch_op:
        batch_op.create_index("ix_limit_counter_resets_at", ["resets_at"], unique=False)
    with op.batch_alter_table("order_lookup_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_order_lookup_attempt_number_at")
    op.drop_table("order_lookup_attempt")


def downgrade() -> None:
    op.create_table(
        "order_lookup_attempt",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_number", sa.String(length=100), nullable=False),
        sa.Column("attempted_at", ordertrail.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lookup_attempt")),
    )
    with op.batch_alter_table("order_lookup_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_order_lookup_attempt_number_at", ["order_number", "attempted_at"], unique=False)
    with op.batch_alter_table("limit_counter", schema=None) as batch_op:
        batch_op.drop_index("ix_limit_counter_resets_at")
    op.drop_table("limit_counter")
