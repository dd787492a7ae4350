"""merchants: the name customers see (display_name) and where undeliverable parcels go back to (return_address)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("merchant", sa.Column("display_name", sa.String(200), nullable=True))
    # The address as a JSON object (line1, line2, city, region, postal_code, country): read and written whole.
    op.add_column("merchant", sa.Column("return_address", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("merchant", "return_address")
    op.drop_column("merchant", "display_name")
