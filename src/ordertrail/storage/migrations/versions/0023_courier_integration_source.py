"""courier integrations name their sender: the generic format (Standard Webhooks) or an aggregator's webhooks
(karrio, easypost, aftership), each verified with that sender's own signature

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "courier_integration", sa.Column("source", sa.String(length=16), server_default="generic", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("courier_integration", "source")  # in place (SQLite 3.35+), as the migrations before it
