"""parcel notes (internal, with the Idempotency-Key of the request that wrote each), and an index of the outbox by
ordering key for a parcel's timeline

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordertrail.storage.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = ordertrail.storage.types.UTCDateTime
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "parcel_note",
        sa.Column("id", BigId, nullable=False),
        sa.Column("parcel_id", BigId, nullable=False),
        sa.Column("at", Instant(timezone=True), nullable=False),
        sa.Column("author_kind", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=320), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["parcel_id"], ["parcel.id"], name=op.f("fk_parcel_note_parcel_id_parcel")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel_note")),
        sa.UniqueConstraint(
            "author_kind",
            "author_id",
            "idempotency_key",
            name=op.f("uq_parcel_note_author_kind_author_id_idempotency_key"),
        ),
    )
    op.create_index("ix_parcel_note_parcel_id_id", "parcel_note", ["parcel_id", "id"])
    # Every outbox row, not only pending ones: the timeline shows delivered and dead messages too.
    op.create_index("ix_outbox_ordering_key_id", "outbox", ["ordering_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_ordering_key_id", table_name="outbox")
    op.drop_index("ix_parcel_note_parcel_id_id", table_name="parcel_note")
    op.drop_table("parcel_note")
