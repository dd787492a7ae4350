"""exception handling and resends: a parcel's exception marked handled, with what was done (one row per exception,
the parcel's status version), so the exceptions queue leaves it out until a new exception; and the resends asked
for under an Idempotency-Key, so a retried resend sends nothing again

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordertrail.storage.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = ordertrail.storage.types.UTCDateTime
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "exception_handling",
        sa.Column("id", BigId, nullable=False),
        sa.Column("parcel_id", BigId, nullable=False),
        sa.Column("status_version", sa.Integer(), nullable=False),
        sa.Column("at", Instant(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("what_was_done", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["parcel_id"], ["parcel.id"], name=op.f("fk_exception_handling_parcel_id_parcel")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exception_handling")),
        sa.UniqueConstraint("parcel_id", "status_version", name="uq_exception_handling_parcel_id_status_version"),
        sa.UniqueConstraint(
            "actor_kind",
            "actor_id",
            "idempotency_key",
            name="uq_exception_handling_actor_kind_actor_id_idempotency_key",
        ),
    )
    op.create_table(
        "notification_resend",
        sa.Column("id", BigId, nullable=False),
        sa.Column("parcel_id", BigId, nullable=False),
        sa.Column("at", Instant(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("resent", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["parcel_id"], ["parcel.id"], name=op.f("fk_notification_resend_parcel_id_parcel")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_resend")),
        sa.UniqueConstraint(
            "actor_kind",
            "actor_id",
            "idempotency_key",
            name="uq_notification_resend_actor_kind_actor_id_idempotency_key",
        ),
    )


def downgrade() -> None:
    op.drop_table("notification_resend")
    op.drop_table("exception_handling")
