"""merchant support contact: the email address and help page customers are pointed to (merchant settings)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("merchant", sa.Column("support_email", sa.String(length=320), nullable=True))
    op.add_column("merchant", sa.Column("support_url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    # In place (SQLite 3.35+): batch mode would copy the table, reflecting its neighbours on the way.
    op.drop_column("merchant", "support_url")
    op.drop_column("merchant", "support_email")
