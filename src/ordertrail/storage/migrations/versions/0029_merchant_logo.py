"""merchant logo: the image customers see on the tracking page and in emails, one row per merchant

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordertrail.storage.types

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "merchant_logo",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=20), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", ordertrail.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchant.id"], name=op.f("fk_merchant_logo_merchant_id_merchant")),
        sa.PrimaryKeyConstraint("merchant_id", name=op.f("pk_merchant_logo")),
    )


def downgrade() -> None:
    op.drop_table("merchant_logo")
