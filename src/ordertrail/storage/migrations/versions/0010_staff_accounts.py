"""staff accounts (users, merchants they work for, invitations, sessions, sign-in failures), the append-only audit
log, and the indexes of the console's parcel list

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ordertrail.storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Instant = ordertrail.storage.types.UTCDateTime
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# As the code queries it (``is_(True)`` renders ``IS 1`` on SQLite), so that the planners use the partial index.
DELAYED_SQLITE = sa.text("eta_delayed IS 1")
DELAYED_POSTGRESQL = sa.text("eta_delayed IS true")

# The audit log is append-only in the store itself, not only by convention in the code.
SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
POSTGRESQL_TRIGGERS = [
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("created_at", Instant(timezone=True), nullable=False),
        sa.Column("password_set_at", Instant(timezone=True), nullable=True),
        sa.Column("disabled_at", Instant(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_user_email")),
    )
    op.create_table(
        "staff_user_merchant",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_staff_user_merchant_merchant_id_merchant")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], name=op.f("fk_staff_user_merchant_user_id_staff_user")),
        sa.PrimaryKeyConstraint("user_id", "merchant_id", name=op.f("pk_staff_user_merchant")),
    )
    op.create_table(
        "staff_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", Instant(timezone=True), nullable=False),
        sa.Column("expires_at", Instant(timezone=True), nullable=False),
        sa.Column("used_at", Instant(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], name=op.f("fk_staff_invitation_user_id_staff_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_invitation_token_hash")),
    )
    op.create_index("ix_staff_invitation_user_id", "staff_invitation", ["user_id"])
    op.create_table(
        "staff_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", Instant(timezone=True), nullable=False),
        sa.Column("last_seen_at", Instant(timezone=True), nullable=False),
        sa.Column("expires_at", Instant(timezone=True), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["staff_user.id"], name=op.f("fk_staff_session_user_id_staff_user")),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_staff_session")),
    )
    op.create_index("ix_staff_session_user_id", "staff_session", ["user_id"])
    op.create_table(
        "sign_in_failure",
        sa.Column("id", BigId, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("attempted_at", Instant(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failure")),
    )
    op.create_index("ix_sign_in_failure_email_attempted_at", "sign_in_failure", ["email", "attempted_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", BigId, nullable=False),
        sa.Column("at", Instant(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=True),
        sa.Column("order_number", sa.String(length=100), nullable=True),
        sa.Column("tracking_number", sa.String(length=16), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_action_id", "audit_log", ["action", "id"])
    op.create_index("ix_audit_log_actor_id", "audit_log", ["actor", "id"])
    op.create_index("ix_audit_log_tracking_number", "audit_log", ["tracking_number"])
    op.create_index("ix_audit_log_merchant_id_id", "audit_log", ["merchant_id", "id"])
    for statement in SQLITE_TRIGGERS if op.get_bind().dialect.name == "sqlite" else POSTGRESQL_TRIGGERS:
        op.execute(sa.text(statement))

    op.create_index("ix_order_order_number", "order", ["order_number"])
    op.create_index("ix_order_customer_email_lower", "order", [sa.text("lower(customer_email)")])
    op.create_index("ix_order_placed_at_id", "order", ["placed_at", "id"])
    op.create_index("ix_order_merchant_id_placed_at_id", "order", ["merchant_id", "placed_at", "id"])
    op.create_index(
        "ix_parcel_eta_delayed", "parcel", ["id"], sqlite_where=DELAYED_SQLITE, postgresql_where=DELAYED_POSTGRESQL
    )


def downgrade() -> None:
    op.drop_index("ix_parcel_eta_delayed", table_name="parcel")
    op.drop_index("ix_order_merchant_id_placed_at_id", table_name="order")
    op.drop_index("ix_order_placed_at_id", table_name="order")
    op.drop_index("ix_order_customer_email_lower", table_name="order")
    op.drop_index("ix_order_order_number", table_name="order")
    op.drop_table("audit_log")
    if op.get_bind().dialect.name != "sqlite":
        op.execute(sa.text("DROP FUNCTION audit_log_append_only()"))
    op.drop_table("sign_in_failure")
    op.drop_table("staff_session")
    op.drop_table("staff_invitation")
    op.drop_table("staff_user_merchant")
    op.drop_table("staff_user")
