"""a packing bench's device: a pairing code may name the merchant whose labels its scanner key prints

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, added in place: codes made before name no merchant (a hub's device), as api_key.merchant_id does
    # for scanner keys. The constraint is named as the metadata's naming convention names it.
    name = op.f("fk_pairing_code_merchant_id_merchant")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its REFERENCES clause in place (a NULL default allows it); Alembic would
        # add the constraint separately, which SQLite cannot (only a table copy, batch mode, could).
        column = f"merchant_id INTEGER CONSTRAINT {name} REFERENCES merchant (id)"
        op.execute(f"ALTER TABLE pairing_code ADD COLUMN {column}")
        return
    op.add_column(
        "pairing_code",
        sa.Column("merchant_id", sa.Integer(), sa.ForeignKey("merchant.id", name=name), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("pairing_code", "merchant_id")
