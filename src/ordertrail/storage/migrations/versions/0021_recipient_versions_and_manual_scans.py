"""recipient versions and manual scans: every version of an order's recipient (contact and destination) with who
changed what, when and why; and the flag on scans recorded by hand

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordertrail.storage.types

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = ordertrail.storage.types.UTCDateTime
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "recipient_version",
        sa.Column("id", BigId, nullable=False),
        sa.Column("order_id", BigId, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", Instant(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed", sa.Text(), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=False),
        sa.Column("customer_phone", sa.String(length=40), nullable=True),
        sa.Column("destination_line1", sa.String(length=200), nullable=False),
        sa.Column("destination_line2", sa.String(length=200), nullable=True),
        sa.Column("destination_city", sa.String(length=100), nullable=False),
        sa.Column("destination_region", sa.String(length=100), nullable=True),
        sa.Column("destination_postal_code", sa.String(length=20), nullable=False),
        sa.Column("destination_country", sa.String(length=2), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["order.id"], name=op.f("fk_recipient_version_order_id_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient_version")),
        sa.UniqueConstraint("order_id", "version", name="uq_recipient_version_order_id_version"),
        sa.UniqueConstraint(
            "actor_kind",
            "actor_id",
            "idempotency_key",
            name="uq_recipient_version_actor_kind_actor_id_idempotency_key",
        ),
    )
    op.create_table(
        "manual_scan",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("at", Instant(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["scan_event.event_id"], name=op.f("fk_manual_scan_event_id_scan_event")),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_manual_scan")),
    )


def downgrade() -> None:
    op.drop_table("manual_scan")
    op.drop_table("recipient_version")
