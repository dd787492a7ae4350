"""the overview's counts: parcels by status kept by triggers on parcel (the change rows they append, the folded
counts), and partial indexes of the parcels held up, not yet dispatched, of the stays at facilities and of the
flagged handovers

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
HELD = sa.text("status IN ('delivery_attempted', 'exception')")
STAYING = sa.text("stay_facility IS NOT NULL")
BEFORE_DISPATCH = sa.text("status IN ('order_placed', 'packed', 'processing')")
NOT_PICKED_UP = sa.text("not_picked_up_at IS NOT NULL AND accepted_at IS NULL")
COURIER_EARLY = sa.text("early_event_at IS NOT NULL")

# One change row per parcel created, deleted, or moved to another status: the merchant is its order's.
_CHANGE = (
    "INSERT INTO parcel_count_change (merchant_id, old_status, new_status) SELECT merchant_id, {old}, {new} "
    'FROM "order" WHERE id = {row}.order_id'
)
_CREATED = _CHANGE.format(old="NULL", new="NEW.status", row="NEW")
_MOVED = _CHANGE.format(old="OLD.status", new="NEW.status", row="NEW")
_DELETED = _CHANGE.format(old="OLD.status", new="NULL", row="OLD")
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER parcel_count_created AFTER INSERT ON parcel BEGIN {_CREATED}; END",
    "CREATE TRIGGER parcel_count_moved AFTER UPDATE OF status ON parcel WHEN OLD.status IS NOT NEW.status "
    f"BEGIN {_MOVED}; END",
    f"CREATE TRIGGER parcel_count_deleted AFTER DELETE ON parcel BEGIN {_DELETED}; END",
]
POSTGRESQL_TRIGGERS = [
    "CREATE FUNCTION parcel_count_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP = 'INSERT' THEN {_CREATED}; ELSIF TG_OP = 'DELETE' THEN {_DELETED}; "
    f"ELSIF OLD.status IS DISTINCT FROM NEW.status THEN {_MOVED}; "
    "END IF; RETURN NULL; END $$",
    "CREATE TRIGGER parcel_count_change AFTER INSERT OR DELETE OR UPDATE OF status ON parcel "
    "FOR EACH ROW EXECUTE FUNCTION parcel_count_change()",
]


def upgrade() -> None:
    op.create_table(
        "parcel_count",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("parcels", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "status", name=op.f("pk_parcel_count")),
    )
    op.create_table(
        "parcel_count_change",
        sa.Column("id", BigId, nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("old_status", sa.String(length=32), nullable=True),
        sa.Column("new_status", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel_count_change")),
    )
    # The counts of the parcels there are, in the same transaction as the triggers that keep them from now on.
    op.execute(
        "INSERT INTO parcel_count (merchant_id, status, parcels) SELECT o.merchant_id, p.status, count(*) "
        'FROM parcel p JOIN "order" o ON o.id = p.order_id GROUP BY o.merchant_id, p.status'
    )
    op.create_index("ix_parcel_held", "parcel", ["id"], sqlite_where=HELD, postgresql_where=HELD)
    op.create_index(
        "ix_parcel_before_dispatch", "parcel", ["id"], sqlite_where=BEFORE_DISPATCH, postgresql_where=BEFORE_DISPATCH
    )
    op.create_index(
        "ix_parcel_stay", "parcel", ["stay_facility", "stay_since"], sqlite_where=STAYING, postgresql_where=STAYING
    )
    handovers = (("ix_parcel_handover_not_picked_up", NOT_PICKED_UP), ("ix_parcel_handover_early", COURIER_EARLY))
    for name, where in handovers:
        op.create_index(name, "parcel_handover", ["parcel_id"], sqlite_where=where, postgresql_where=where)
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_parcel_handover_early", table_name="parcel_handover")
    op.drop_index("ix_parcel_handover_not_picked_up", table_name="parcel_handover")
    op.drop_index("ix_parcel_stay", table_name="parcel")
    op.drop_index("ix_parcel_before_dispatch", table_name="parcel")
    op.drop_index("ix_parcel_held", table_name="parcel")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER parcel_count_change ON parcel")
        op.execute("DROP FUNCTION parcel_count_change()")
    else:
        for name in ("parcel_count_created", "parcel_count_moved", "parcel_count_deleted"):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("parcel_count_change")
    op.drop_table("parcel_count")
