"""stalled parcels found by walking the parcels on their way, not by an index that moves on every scan;
deliveries learned in batches off the scan's transaction

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 06:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The expressions the code queries with (``parcel.c.eta_watched.is_(True)`` renders ``IS 1`` on SQLite), so that
# the planners use these partial indexes.
WATCHED_SQLITE = sa.text("eta_watched IS 1")
WATCHED_POSTGRESQL = sa.text("eta_watched IS true")
STALLED = sa.text("eta_stalled_at IS NOT NULL")
PENDING_SQLITE = sa.text("eta_learn_pending IS 1")
PENDING_POSTGRESQL = sa.text("eta_learn_pending IS true")


def upgrade() -> None:
    op.add_column("parcel", sa.Column("eta_watched", sa.Boolean(), nullable=True))
    op.add_column("parcel", sa.Column("eta_learn_pending", sa.Boolean(), nullable=True))
    op.execute(sa.text("UPDATE parcel SET eta_watched = :yes WHERE eta_stall_after IS NOT NULL").bindparams(yes=True))
    op.drop_index("ix_parcel_eta_stall_after", table_name="parcel")
    op.drop_index("ix_parcel_eta_stalled_at", table_name="parcel")
    op.create_index(
        "ix_parcel_eta_watched", "parcel", ["id"], sqlite_where=WATCHED_SQLITE, postgresql_where=WATCHED_POSTGRESQL
    )
    op.create_index("ix_parcel_eta_stalled", "parcel", ["id"], sqlite_where=STALLED, postgresql_where=STALLED)
    op.create_index(
        "ix_parcel_eta_learn_pending",
        "parcel",
        ["id"],
        sqlite_where=PENDING_SQLITE,
        postgresql_where=PENDING_POSTGRESQL,
    )


def downgrade() -> None:
    op.drop_index("ix_parcel_eta_learn_pending", table_name="parcel")
    op.drop_index("ix_parcel_eta_stalled", table_name="parcel")
    op.drop_index("ix_parcel_eta_watched", table_name="parcel")
    op.create_index("ix_parcel_eta_stalled_at", "parcel", ["eta_stalled_at"], unique=False)
    op.create_index("ix_parcel_eta_stall_after", "parcel", ["eta_stall_after"], unique=False)
    with op.batch_alter_table("parcel", schema=None) as batch_op:
        batch_op.drop_column("eta_watched")
        batch_op.drop_column("eta_learn_pending")
