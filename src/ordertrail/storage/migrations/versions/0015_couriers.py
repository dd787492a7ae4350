"""couriers: integrations that post their events (with their signing secrets), parcels' handovers, courier events

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordertrail.storage.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = ordertrail.storage.types.UTCDateTime
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "courier_integration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("courier", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("created_at", Instant(timezone=True), nullable=False),
        sa.Column("revoked_at", Instant(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courier_integration")),
    )
    op.create_table(
        "parcel_handover",
        sa.Column("parcel_id", BigId, nullable=False),
        sa.Column("courier", sa.String(length=32), nullable=False),
        sa.Column("tracking_number", sa.String(length=40), nullable=False),
        sa.Column("service_level", sa.String(length=64), nullable=True),
        sa.Column("tracking_url", sa.String(length=2000), nullable=True),
        sa.Column("courier_name", sa.String(length=100), nullable=True),
        sa.Column("recognised", sa.Boolean(), nullable=False),
        sa.Column("handed_over_at", Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parcel_id"], ["parcel.id"], name=op.f("fk_parcel_handover_parcel_id_parcel")),
        sa.PrimaryKeyConstraint("parcel_id", name=op.f("pk_parcel_handover")),
        sa.UniqueConstraint("courier", "tracking_number", name="uq_parcel_handover_courier_tracking_number"),
    )
    op.create_table(
        "courier_event",
        sa.Column("id", BigId, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=False),
        sa.Column("courier", sa.String(length=32), nullable=False),
        sa.Column("courier_tracking_number", sa.String(length=40), nullable=False),
        sa.Column("courier_event_id", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("mapped", sa.Boolean(), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("parcel_id", BigId, nullable=True),
        sa.Column("recorded_at", Instant(timezone=True), nullable=False),
        sa.Column("attached_at", Instant(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["courier_integration.id"],
            name=op.f("fk_courier_event_integration_id_courier_integration"),
        ),
        sa.ForeignKeyConstraint(["parcel_id"], ["parcel.id"], name=op.f("fk_courier_event_parcel_id_parcel")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courier_event")),
        sa.UniqueConstraint("event_id", name=op.f("uq_courier_event_event_id")),
    )
    op.create_index("ix_courier_event_parcel_id", "courier_event", ["parcel_id"])
    op.create_index(
        "ix_courier_event_courier_courier_tracking_number", "courier_event", ["courier", "courier_tracking_number"]
    )


def downgrade() -> None:
    op.drop_table("courier_event")
    op.drop_table("parcel_handover")
    op.drop_table("courier_integration")
