"""The staff room's tables: accounts, the merchants they work for, invitations, sessions, sign-in failures,
and the append-only audit log (migration 0010); TOTP secrets and half-finished sign-ins (migration 0017).

They join the one schema (``storage/tables.py``'s ``metadata``, which imports this module so that the schema is
whole wherever it is read: migrations, the schema check).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from ordertrail.storage.tables import metadata
from ordertrail.storage.types import BigId, UTCDateTime

# -- staff accounts and the audit log (migration 0010) --------------------------------------------------------

# People who use the console (not API keys). A password hash is NULL until the invitation is used.
staff_user = Table(
    "staff_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # lower-cased
    Column("role", String(16), nullable=False),  # admin | operations | support | merchant | viewer
    Column("password_hash", String(200), nullable=True),  # Argon2id, in the PHC string format
    Column("created_at", UTCDateTime, nullable=False),
    Column("password_set_at", UTCDateTime, nullable=True),
    Column("disabled_at", UTCDateTime, nullable=True),
)

# The merchants a staff user works for: exactly one for a merchant user, one or more for operations, support and
# viewer; none for admins (they see every merchant).
staff_user_merchant = Table(
    "staff_user_merchant",
    metadata,
    Column("user_id", ForeignKey("staff_user.id"), primary_key=True),
    Column("merchant_id", ForeignKey("merchant.id"), primary_key=True),
)

# One-time invitations (also "reset"): only the token's SHA-256 is kept; a new one voids the older ones.
staff_invitation = Table(
    "staff_invitation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("staff_user.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
)

# Opaque server-side sessions: the cookie holds a random id, the row only its SHA-256 (a stolen database copy
# gives no live cookie). ``csrf_token`` is the synchronizer token every form of the session carries.
staff_session = Table(
    "staff_session",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("staff_user.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),  # the absolute expiry; the idle one runs from last_seen_at
    Column("address", String(64), nullable=True),
)

# Failed sign-ins, keyed by the email as typed (lower-cased), so unknown addresses lock exactly like real ones and
# the lockout holds across server processes.
sign_in_failure = Table(
    "sign_in_failure",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("email", String(320), nullable=False),
    Column("address", String(64), nullable=True),
    Column("attempted_at", UTCDateTime, nullable=False),
)
Index("ix_sign_in_failure_email_attempted_at", sign_in_failure.c.email, sign_in_failure.c.attempted_at)

# Append-only (triggers refuse UPDATE and DELETE): who did what, when, to which parcel or order, from where.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_kind", String(16), nullable=False),  # staff | key | cli
    Column("actor_id", Integer, nullable=True),  # staff_user.id or api_key.id (not a foreign key: kept as written)
    Column("actor", String(320), nullable=False),  # the staff email, key name or OS user, as it was then
    Column("action", String(64), nullable=False),
    Column("merchant_id", Integer, nullable=True),
    Column("order_number", String(100), nullable=True),
    Column("tracking_number", String(16), nullable=True),
    Column("address", String(64), nullable=True),
    Column("detail", Text, nullable=False),  # JSON object
)
Index("ix_audit_log_action_id", audit_log.c.action, audit_log.c.id)
Index("ix_audit_log_actor_id", audit_log.c.actor, audit_log.c.id)
Index("ix_audit_log_tracking_number", audit_log.c.tracking_number)
Index("ix_audit_log_merchant_id_id", audit_log.c.merchant_id, audit_log.c.id)

# -- TOTP second factor (migration 0017) ----------------------------------------------------------------------

# One row per account that set up (or is setting up) a second factor. The secret must be readable to check codes,
# so it is kept as the base32 text an app is given; ``confirmed_at`` is NULL until a first code proves the app has
# it (only then does sign-in ask for codes). ``last_step`` is the time step of the last code accepted: a code is
# taken only from a later step, so one overheard cannot be used again.
staff_totp = Table(
    "staff_totp",
    metadata,
    Column("user_id", ForeignKey("staff_user.id"), primary_key=True),
    Column("secret", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime, nullable=True),
    Column("last_step", BigInteger, nullable=True),
)

# A sign-in whose password was right, waiting for its code: the form carries a random id, the row only its
# SHA-256 (as for sessions). Short-lived; used once.
staff_sign_in_challenge = Table(
    "staff_sign_in_challenge",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", ForeignKey("staff_user.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
