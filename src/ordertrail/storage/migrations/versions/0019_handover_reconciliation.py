"""handover reconciliation: when a parcel's courier first sent an event (its acceptance), when the parcel was
flagged as not picked up by its courier, and the time of a courier event dated before the dispatch scan

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 01:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordertrail.storage.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = ordertrail.storage.types.UTCDateTime


def upgrade() -> None:
    op.add_column("parcel_handover", sa.Column("accepted_at", Instant(timezone=True), nullable=True))
    op.add_column("parcel_handover", sa.Column("not_picked_up_at", Instant(timezone=True), nullable=True))
    op.add_column("parcel_handover", sa.Column("early_event_at", Instant(timezone=True), nullable=True))
    op.create_index("ix_parcel_handover_accepted_at", "parcel_handover", ["accepted_at"])


def downgrade() -> None:
    op.drop_index("ix_parcel_handover_accepted_at", table_name="parcel_handover")
    # Plain DROP COLUMN (SQLite 3.35+): batch mode would copy the table, reflecting its neighbours on the way.
    for name in ("early_event_at", "not_picked_up_at", "accepted_at"):
        op.drop_column("parcel_handover", name)
