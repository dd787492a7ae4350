"""a parcel's lane includes its courier: eta_courier and eta_service_level on parcel, filled from parcel_handover

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("parcel", sa.Column("eta_courier", sa.String(length=32), nullable=True))
    op.add_column("parcel", sa.Column("eta_service_level", sa.String(length=64), nullable=True))
    # Parcels handed over before: their lane gets their courier from now on (the same SQL on SQLite and PostgreSQL).
    op.execute(
        "UPDATE parcel SET"
        " eta_courier = (SELECT h.courier FROM parcel_handover h WHERE h.parcel_id = parcel.id),"
        " eta_service_level = (SELECT h.service_level FROM parcel_handover h WHERE h.parcel_id = parcel.id)"
        " WHERE id IN (SELECT parcel_id FROM parcel_handover)"
    )


def downgrade() -> None:
    op.drop_column("parcel", "eta_service_level")
    op.drop_column("parcel", "eta_courier")
