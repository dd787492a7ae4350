"""parcel messages: what staff told a customer about a parcel, in their own words (shown on the tracking page)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordertrail.storage.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = ordertrail.storage.types.UTCDateTime
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "parcel_message",
        sa.Column("id", BigId, nullable=False),
        sa.Column("parcel_id", BigId, nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_by", sa.String(length=320), nullable=False),  # the staff member's email or the key's name
        sa.Column("created_at", Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parcel_id"], ["parcel.id"], name=op.f("fk_parcel_message_parcel_id_parcel")),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchant.id"], name=op.f("fk_parcel_message_merchant_id_merchant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel_message")),
    )
    with op.batch_alter_table("parcel_message", schema=None) as batch_op:
        batch_op.create_index("ix_parcel_message_parcel_id_id", ["parcel_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("parcel_message", schema=None) as batch_op:
        batch_op.drop_index("ix_parcel_message_parcel_id_id")
    op.drop_table("parcel_message")
