"""courier integrations name their sender: the generic format (Standard Webhooks) or an aggregator's webhooks
(karrio, easypost, aftership), each verified with that sender's own signature

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-04 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("courier_integration") as batch:
        batch.add_column(sa.Column("source", sa.String(length=16), server_default="generic", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("courier_integration") as batch:
        batch.drop_column("source")
