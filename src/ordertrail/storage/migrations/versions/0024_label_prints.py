"""label prints: one row per parcel per print of its label (who, when, which batch, whether a reprint); a parcel's
label is printed once it has one

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordertrail.storage.types

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = ordertrail.storage.types.UTCDateTime
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "label_print",
        sa.Column("id", BigId, nullable=False),
        sa.Column("parcel_id", BigId, nullable=False),
        sa.Column("batch", sa.String(length=200), nullable=False),
        sa.Column("at", Instant(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("reprint", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["parcel_id"], ["parcel.id"], name=op.f("fk_label_print_parcel_id_parcel")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_print")),
        sa.UniqueConstraint(
            "actor_kind",
            "actor_id",
            "batch",
            "parcel_id",
            name=op.f("uq_label_print_actor_kind_actor_id_batch_parcel_id"),
        ),
    )
    op.create_index("ix_label_print_parcel_id", "label_print", ["parcel_id"])
    op.create_index("ix_label_print_at", "label_print", ["at"])


def downgrade() -> None:
    op.drop_index("ix_label_print_at", table_name="label_print")
    op.drop_index("ix_label_print_parcel_id", table_name="label_print")
    op.drop_table("label_print")
