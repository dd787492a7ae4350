"""staff TOTP: an account's second-factor secret (pending until a first code confirms it, and the last step used,
so a code cannot be replayed), and the half-finished sign-ins waiting for their code

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordertrail.storage.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = ordertrail.storage.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "staff_totp",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", Instant(timezone=True), nullable=False),
        sa.Column("confirmed_at", Instant(timezone=True), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], name=op.f("fk_staff_totp_user_id_staff_user")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_staff_totp")),
    )
    op.create_table(
        "staff_sign_in_challenge",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", Instant(timezone=True), nullable=False),
        sa.Column("expires_at", Instant(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_user.id"], name=op.f("fk_staff_sign_in_challenge_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_staff_sign_in_challenge")),
    )
    op.create_index(op.f("ix_staff_sign_in_challenge_user_id"), "staff_sign_in_challenge", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_sign_in_challenge_user_id"), table_name="staff_sign_in_challenge")
    op.drop_table("staff_sign_in_challenge")
    op.drop_table("staff_totp")
