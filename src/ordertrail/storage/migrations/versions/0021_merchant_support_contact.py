"""merchant support contact: the email address and help page customers are pointed to (merchant settings)

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-04 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("merchant") as batch:
        batch.add_column(sa.Column("support_email", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("support_url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("merchant") as batch:
        batch.drop_column("support_url")
        batch.drop_column("support_email")
