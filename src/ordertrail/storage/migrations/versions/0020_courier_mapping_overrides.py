"""courier mapping overrides: a merchant's own meaning for a courier's status code (over the shipped mapping
files), the requests that set or removed one under an Idempotency-Key, and on each courier event the scan event
that stands for it on the timeline now (another one once a new mapping re-derived it)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordertrail.storage.types

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = ordertrail.storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "courier_mapping_override",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("courier", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("substatus", sa.String(length=64), nullable=True),
        sa.Column("updated_at", Instant(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_courier_mapping_override_merchant_id_merchant")
        ),
        sa.PrimaryKeyConstraint("merchant_id", "courier", "code", name=op.f("pk_courier_mapping_override")),
    )
    op.create_table(
        "courier_mapping_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("at", Instant(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courier_mapping_request")),
        sa.UniqueConstraint(
            "actor_kind",
            "actor_id",
            "idempotency_key",
            name="uq_courier_mapping_request_actor_kind_actor_id_idempotency_key",
        ),
    )
    with op.batch_alter_table("courier_event") as batch:
        batch.add_column(sa.Column("recorded_event_id", sa.String(length=36), nullable=True))
    op.create_index("ix_courier_event_mapped_courier_code", "courier_event", ["mapped", "courier", "code"])


def downgrade() -> None:
    op.drop_index("ix_courier_event_mapped_courier_code", table_name="courier_event")
    op.drop_column("courier_event", "recorded_event_id")  # in place (SQLite 3.35+), as 0018 and 0019
    op.drop_table("courier_mapping_request")
    op.drop_table("courier_mapping_override")
