"""The console room's tables: internal notes on parcels (migration 0012), bulk actions (migration 0014), handled
exceptions and resent notifications (migration 0016), the recipient's versions and scans recorded by hand (migration
0021), label prints (migration 0024), parcel counts by status and the overview's partial indexes of parcels
(migration 0026).

They join the one schema (``storage/tables.py``'s ``metadata``, which imports this module so that the schema is
whole wherever it is read: migrations, the schema check).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    literal_column,
)

from ordertrail.storage.tables import metadata, parcel
from ordertrail.storage.types import BigId, UTCDateTime

# -- parcel notes (migration 0012) ---------------------------------------------------------------------------

# Internal notes on a parcel, written once (domain/console/notes.py). ``idempotency_key`` (with the author) makes a
# retried POST return the note it wrote; ``body_hash`` tells that retry from another request under the same key.
parcel_note = Table(
    "parcel_note",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("parcel_id", ForeignKey("parcel.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("author_kind", String(16), nullable=False),  # staff | key | cli
    Column("author_id", Integer, nullable=True),  # staff_user.id or api_key.id, as in audit_log
    Column("author", String(320), nullable=False),  # the staff email or key name, as it was then
    Column("message", Text, nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("body_hash", String(64), nullable=False),
    UniqueConstraint(
        "author_kind", "author_id", "idempotency_key", name="uq_parcel_note_author_kind_author_id_idempotency_key"
    ),
)
Index("ix_parcel_note_parcel_id_id", parcel_note.c.parcel_id, parcel_note.c.id)

# -- bulk actions (migration 0014) -----------------------------------------------------------------------------

# One row per bulk action a person submitted: the form's idempotency key (unique per actor) makes a second submit
# act not at all, and the row says what the first one did. Each parcel it touched has its own audit entry.
bulk_action = Table(
    "bulk_action",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("idempotency_key", String(200), nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("actor", String(320), nullable=False),
    Column("action", String(32), nullable=False),  # message | cancel | handle | resend_email | resend_webhook
    Column("parcel_count", Integer, nullable=False),
    Column("text", Text, nullable=False),  # the message, the reason, or what was done
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("actor_kind", "actor_id", "idempotency_key"),
)

# -- exception handling (migration 0016) -------------------------------------------------------------------------

# A parcel's exception marked handled, with what was done (domain/console/handling.py). One row per exception
# (``parcel_id``, ``status_version``): the queue leaves out parcels whose current status version has a row.
exception_handling = Table(
    "exception_handling",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("parcel_id", ForeignKey("parcel.id"), nullable=False),
    Column("status_version", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("actor", String(320), nullable=False),
    Column("what_was_done", Text, nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("body_hash", String(64), nullable=False),
    UniqueConstraint("parcel_id", "status_version", name="uq_exception_handling_parcel_id_status_version"),
    UniqueConstraint(
        "actor_kind", "actor_id", "idempotency_key", name="uq_exception_handling_actor_kind_actor_id_idempotency_key"
    ),
)


# -- resent notifications (migration 0016) -----------------------------------------------------------------------

# One row per resend a person or a key asked for under an Idempotency-Key (unique per actor): a retry answers with
# the messages the first request wrote (``resent``: JSON of new and original message ids) instead of sending again.
notification_resend = Table(
    "notification_resend",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("parcel_id", ForeignKey("parcel.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("actor", String(320), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("resent", Text, nullable=False),
    UniqueConstraint(
        "actor_kind", "actor_id", "idempotency_key", name="uq_notification_resend_actor_kind_actor_id_idempotency_key"
    ),
)


# -- recipient versions and manual scans (migration 0021) ------------------------------------------------------

# Every version of an order's recipient (the customer's contact and the destination): version 1 is the order as
# placed, written with the first correction; each correction a new version with who, when, why and which fields
# changed (``changed``: a JSON list). The order row holds the newest version. Unique per order and version (two
# corrections racing cannot both be the next), and per actor and idempotency key.
recipient_version = Table(
    "recipient_version",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("order_id", ForeignKey("order.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_kind", String(16), nullable=True),  # null for version 1 (as placed)
    Column("actor_id", Integer, nullable=True),
    Column("actor", String(320), nullable=True),
    Column("reason", Text, nullable=True),
    Column("changed", Text, nullable=False),
    Column("customer_name", String(200), nullable=False),
    Column("customer_email", String(320), nullable=False),
    Column("customer_phone", String(40), nullable=True),
    Column("destination_line1", String(200), nullable=False),
    Column("destination_line2", String(200), nullable=True),
    Column("destination_city", String(100), nullable=False),
    Column("destination_region", String(100), nullable=True),
    Column("destination_postal_code", String(20), nullable=False),
    Column("destination_country", String(2), nullable=False),
    Column("idempotency_key", String(200), nullable=True),
    Column("body_hash", String(64), nullable=True),
    UniqueConstraint("order_id", "version", name="uq_recipient_version_order_id_version"),
    UniqueConstraint(
        "actor_kind", "actor_id", "idempotency_key", name="uq_recipient_version_actor_kind_actor_id_idempotency_key"
    ),
)

# The scans a person (or a key) recorded by hand: the event itself is an ordinary scan_event (no device key), this
# row flags it as manual and says who recorded it.
manual_scan = Table(
    "manual_scan",
    metadata,
    Column("event_id", String(36), ForeignKey("scan_event.event_id"), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("actor", String(320), nullable=False),
)

# -- label prints (migration 0024) -------------------------------------------------------------------------------

# One row per parcel per print of its label; a parcel's label is "printed" once it has one. ``batch`` is the
# print's idempotency key (the form's, or the API's Idempotency-Key, else a fresh one): with the actor and the
# parcel it is unique, so a retried print records nothing twice.
label_print = Table(
    "label_print",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("parcel_id", ForeignKey("parcel.id"), nullable=False),
    Column("batch", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_kind", String(16), nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("actor", String(320), nullable=False),
    Column("reprint", Boolean, nullable=False),
    UniqueConstraint(
        "actor_kind", "actor_id", "batch", "parcel_id", name="uq_label_print_actor_kind_actor_id_batch_parcel_id"
    ),
)
Index("ix_label_print_parcel_id", label_print.c.parcel_id)
Index("ix_label_print_at", label_print.c.at)

# -- parcel counts by status (migration 0026) --------------------------------------------------------------------

# The overview's "parcels by status", kept by the store itself: triggers on ``parcel`` append one row to
# ``parcel_count_change`` per parcel created, deleted or moved to another status (in the writing transaction, by
# whatever code wrote it), and a background job folds those rows into ``parcel_count``
# (storage/console/parcel_counts.py). Appending, not updating a shared row, keeps concurrent writers (PostgreSQL,
# several processes) from queueing on, or deadlocking over, one counter row.
parcel_count = Table(
    "parcel_count",
    metadata,
    Column("merchant_id", Integer, primary_key=True),
    Column("status", String(32), primary_key=True),
    Column("parcels", Integer, nullable=False),
)
parcel_count_change = Table(
    "parcel_count_change",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("merchant_id", Integer, nullable=False),
    Column("old_status", String(32), nullable=True),  # None: the parcel was created
    Column("new_status", String(32), nullable=True),  # None: the parcel was deleted
)

# The overview's queues (migration 0026): parcels held up (an exception, a failed attempt) are few, and a scan
# touches this index only when a parcel enters or leaves that state. The statuses are written out, not bound, so
# that the planners see a query's condition is the index's own.
HELD = parcel.c.status.in_([literal_column("'delivery_attempted'"), literal_column("'exception'")])
Index("ix_parcel_held", parcel.c.id, sqlite_where=HELD, postgresql_where=HELD)
# Labels to print (storage/console/label_prints.py): parcels not yet dispatched, which every parcel leaves once.
BEFORE_DISPATCH = parcel.c.status.in_(
    [literal_column("'order_placed'"), literal_column("'packed'"), literal_column("'processing'")]
)
Index("ix_parcel_before_dispatch", parcel.c.id, sqlite_where=BEFORE_DISPATCH, postgresql_where=BEFORE_DISPATCH)
# "Dwelling now" (storage/analytics/dwelling.py): per facility, the stays that began before its usual time ago.
STAYING = parcel.c.stay_facility.is_not(None)
Index("ix_parcel_stay", parcel.c.stay_facility, parcel.c.stay_since, sqlite_where=STAYING, postgresql_where=STAYING)
