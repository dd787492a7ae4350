"""the weekly report: who receives a merchant's report, and which weeks went out (one row per merchant and week)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordertrail.storage.types

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "weekly_report",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("updated_at", ordertrail.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchant.id"], name=op.f("fk_weekly_report_merchant_id_merchant")),
        sa.PrimaryKeyConstraint("merchant_id", name=op.f("pk_weekly_report")),
    )
    op.create_table(
        "weekly_report_sent",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("week_start", ordertrail.storage.types.LocalDate(), nullable=False),
        sa.Column("created_at", ordertrail.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_weekly_report_sent_merchant_id_merchant")
        ),
        sa.PrimaryKeyConstraint("merchant_id", "week_start", name=op.f("pk_weekly_report_sent")),
    )


def downgrade() -> None:
    op.drop_table("weekly_report_sent")
    op.drop_table("weekly_report")
