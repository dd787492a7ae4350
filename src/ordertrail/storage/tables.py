"""The schema. Table names are singular; instants are UTC (``UTCDateTime``); events are append-only."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

from ordertrail.storage.types import BigId, LocalDate, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

merchant = Table(
    "merchant",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("display_name", String(200), nullable=True),  # the name customers see; none: ``name``
    Column("return_address", Text, nullable=True),  # JSON: line1, line2, city, region, postal_code, country
    Column("support_email", String(320), nullable=True),  # where customers write for help (migration 0022)
    Column("support_url", String(500), nullable=True),  # the shop's help page
)

api_key = Table(
    "api_key",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("display_prefix", String(40), nullable=False),
    Column("role", String(16), nullable=False),
    Column("name", String(200), nullable=False),
    Column("merchant_id", ForeignKey("merchant.id"), nullable=True),
    Column("facility", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

order = Table(
    "order",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("merchant_id", ForeignKey("merchant.id"), nullable=False),
    Column("order_number", String(100), nullable=False),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("customer_name", String(200), nullable=False),
    Column("customer_email", String(320), nullable=False),
    Column("customer_phone", String(40), nullable=True),
    Column("destination_line1", String(200), nullable=False),
    Column("destination_line2", String(200), nullable=True),
    Column("destination_city", String(100), nullable=False),
    Column("destination_region", String(100), nullable=True),
    Column("destination_postal_code", String(20), nullable=False),
    Column("destination_country", String(2), nullable=False),
    Column("promised_delivery_date", Date, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "order_number", name="uq_order_merchant_id_order_number"),
)

parcel = Table(
    "parcel",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("order_id", ForeignKey("order.id"), nullable=False, index=True),
    Column("tracking_number", String(16), nullable=False, unique=True),
    Column("position", SmallInteger, nullable=False),  # "parcel x of y"
    Column("reference", String(100), nullable=True),
    Column("weight_grams", Integer, nullable=True),
    # The projection: derived from the events and updated in the same transaction as each new event.
    Column("status", String(32), nullable=False),
    Column("substatus", String(64), nullable=True),
    Column("furthest_rank", SmallInteger, nullable=False),  # furthest main milestone reached (0 = placed)
    Column("last_sequence", Integer, nullable=False),
    Column("status_version", Integer, nullable=False),
    Column("status_changed_at", UTCDateTime, nullable=False),
    Column("last_event_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Its delivery estimate state (migration 0005, domain/estimating/state.py), on the row every scan already rewrites.
    Column("eta_origin", String(200), nullable=True),  # the facility of its first located scan
    Column("eta_origin_at", UTCDateTime, nullable=True),
    Column("eta_step", String(32), nullable=True),  # e.g. in_transit.2 (domain/estimating/journey.py)
    Column("eta_step_started_at", UTCDateTime, nullable=True),
    Column("eta_hubs", SmallInteger, nullable=True),  # hub scans applied so far
    Column("eta_earliest", LocalDate, nullable=True),  # the current estimate (None: none, or no longer on its way)
    Column("eta_latest", LocalDate, nullable=True),
    Column("eta_likely", LocalDate, nullable=True),
    Column("eta_confidence", Float, nullable=True),
    Column("eta_basis", String(32), nullable=True),
    Column("eta_estimated_at", UTCDateTime, nullable=True),  # when the current estimate was made
    Column("eta_promise", LocalDate, nullable=True),  # the order's promised date, else the first estimate's latest
    Column("eta_delayed", Boolean, nullable=True),
    Column("eta_delay_reason", String(16), nullable=True),
    # Flagged stalled if no scan comes before this. Not indexed: it moves with every scan, and an index entry
    # that moves on every scan cost more than the whole estimate; the sweep walks the watched parcels instead.
    Column("eta_stall_after", UTCDateTime, nullable=True),
    Column("eta_stalled_at", UTCDateTime, nullable=True),
    Column("eta_learned", Boolean, nullable=True),  # its delivery is in the lane statistics
    Column("eta_country", String(2), nullable=True),  # the destination's part of its lane
    Column("eta_area", String(20), nullable=True),
    # On its way with an estimate (migration 0006): what the stalled-parcel sweep walks. It changes when a parcel
    # gets its first estimate and when it is delivered, returned or cancelled, not on ordinary scans.
    Column("eta_watched", Boolean, nullable=True),
    # Delivered, and not yet in the lane statistics: the learning job (services/estimating/learning.py) folds such
    # parcels in, in batches, off the scan's transaction (migration 0006).
    Column("eta_learn_pending", Boolean, nullable=True),
    # The courier it was handed to and its service level (migration 0027): part of its lane, copied from its
    # handover (couriers room) so that a scan's estimate reads it with the parcel, as it reads the origin.
    Column("eta_courier", String(32), nullable=True),
    Column("eta_service_level", String(64), nullable=True),
    # Where it waits now (migration 0018, domain/scanning/stay.py): the facility of its latest scan and the first
    # scan of that visit, part of the projection every scan rewrites; the "dwelling now" queue counts these.
    Column("stay_facility", String(200), nullable=True),
    Column("stay_since", UTCDateTime, nullable=True),
)

scan_event = Table(
    "scan_event",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("parcel_id", ForeignKey("parcel.id"), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("status", String(32), nullable=False),
    Column("substatus", String(64), nullable=True),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("occurred_offset_minutes", SmallInteger, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("facility", String(200), nullable=True),
    Column("city", String(100), nullable=True),
    Column("region", String(100), nullable=True),
    Column("postal_code", String(20), nullable=True),
    Column("country", String(2), nullable=True),
    Column("lat", Float, nullable=True),
    Column("lon", Float, nullable=True),
    Column("note", Text, nullable=True),
    Column("reason", String(64), nullable=True),
    Column("voids_event_id", String(36), nullable=True),
    Column("api_key_id", ForeignKey("api_key.id"), nullable=True),
    Column("body_hash", String(64), nullable=False),  # to tell a retry from a conflicting reuse of event_id
    Column("has_proof", Boolean, nullable=False, default=False),
    UniqueConstraint("parcel_id", "sequence", name="uq_scan_event_parcel_id_sequence"),
)

# Each parcel's first visit to each facility it has left (migration 0018, domain/scanning/stay.py): written by the
# scan transaction (an in-order scan adds the visit it ended; a replay rewrites the parcel's), so a facility's
# usual time is read from here, not replayed from a month of events.
facility_visit = Table(
    "facility_visit",
    metadata,
    Column("parcel_id", ForeignKey("parcel.id"), primary_key=True),
    Column("facility", String(200), primary_key=True),
    Column("since", UTCDateTime, nullable=False),
    Column("until", UTCDateTime, nullable=False),
    Column("ended_on", LocalDate, nullable=False, index=True),  # the local date of the scan that ended it
    Column("hours", Float, nullable=False),  # negative: "ended" before it began, which is no duration
)

# Proof of delivery lives apart from the event: it is large, private, and never on a hot path.
scan_proof = Table(
    "scan_proof",
    metadata,
    Column("event_id", String(36), ForeignKey("scan_event.event_id"), primary_key=True),
    Column("recipient_name", String(200), nullable=True),
    Column("signature_png", LargeBinary, nullable=True),
    Column("photo_jpeg", LargeBinary, nullable=True),
)

# Scans of numbers no parcel has (yet): kept so nothing scanned is lost; attached if the parcel appears.
unmatched_scan = Table(
    "unmatched_scan",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("tracking_number", String(16), nullable=False, index=True),
    Column("payload", Text, nullable=False),  # the scan as JSON, to replay it when the parcel appears
    Column("body_hash", String(64), nullable=False),
    Column("api_key_id", ForeignKey("api_key.id"), nullable=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("attached_at", UTCDateTime, nullable=True),
)

Index("ix_order_merchant_id_id", order.c.merchant_id, order.c.id)

# One-time codes that pair a device: exchanged once for a new scanner key. Only the code's hash is kept.
pairing_code = Table(
    "pairing_code",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("facility", String(200), nullable=True),
    # The merchant whose labels the device prints (a packing bench; migration 0028); none for a hub's device.
    Column("merchant_id", ForeignKey("merchant.id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime, nullable=True),
    Column("api_key_id", ForeignKey("api_key.id"), nullable=True),  # the key the exchange created
)

# -- notifications (migration 0002) ------------------------------------------------------------------------

# A merchant's notification settings; no row means the defaults of domain/notifications.py.
notification_preference = Table(
    "notification_preference",
    metadata,
    Column("merchant_id", ForeignKey("merchant.id"), primary_key=True),
    Column("customer_statuses", Text, nullable=False),  # JSON list of statuses that email the customer
    Column("webhooks", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

webhook_endpoint = Table(
    "webhook_endpoint",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("merchant_id", ForeignKey("merchant.id"), nullable=False, index=True),
    Column("url", String(2000), nullable=False),
    Column("description", String(200), nullable=True),
    Column("event_types", Text, nullable=False),  # JSON list; empty: every event type
    # The signing secret must be kept in the clear: the worker signs with it.
    Column("secret", String(100), nullable=False),
    Column("previous_secret", String(100), nullable=True),  # still signed with until it expires (rotation)
    Column("previous_secret_expires_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime, nullable=True),
    Column("disabled_reason", String(200), nullable=True),
    Column("deleted_at", UTCDateTime, nullable=True),
)

# The transactional outbox: written in the transaction of the event that causes it, delivered at least once.
outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("message_id", String(40), nullable=False, unique=True),  # webhook-id: the same on every retry
    Column("channel", String(16), nullable=False),  # email | webhook
    Column("event_type", String(64), nullable=False),
    Column("merchant_id", ForeignKey("merchant.id"), nullable=False),
    Column("endpoint_id", ForeignKey("webhook_endpoint.id"), nullable=True, index=True),
    Column("recipient", String(320), nullable=True),  # email address
    Column("payload", Text, nullable=False),  # JSON: the webhook body, or what the email template needs
    Column("state", String(16), nullable=False),  # pending | delivered | dead | skipped
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("claimed_by", String(64), nullable=True),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=True),
    # Messages with one key (one recipient, one parcel or order) are delivered one at a time in id order
    # (migration 0009); NULL: no ordering.
    Column("ordering_key", String(64), nullable=True),
)

# Every delivery attempt, for the per-endpoint delivery log.
delivery_attempt = Table(
    "delivery_attempt",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("outbox_id", ForeignKey("outbox.id"), nullable=False, index=True),
    Column("endpoint_id", ForeignKey("webhook_endpoint.id"), nullable=True),
    Column("attempted_at", UTCDateTime, nullable=False),
    Column("status_code", Integer, nullable=True),  # None: no HTTP response (refused, timeout, SMTP)
    Column("duration_ms", Integer, nullable=False),
    Column("response_body", String(1000), nullable=True),  # truncated
    Column("error", String(500), nullable=True),
    Column("succeeded", Boolean, nullable=False),
)

unsubscribe = Table(
    "unsubscribe",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("merchant_id", ForeignKey("merchant.id"), nullable=False),
    Column("email", String(320), nullable=False),  # lower-cased
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "email", name="uq_unsubscribe_merchant_id_email"),
)

# The worker's claim query: due pending rows, oldest due first.
Index("ix_outbox_state_next_attempt_at", outbox.c.state, outbox.c.next_attempt_at)
# The claim's "nothing earlier with this key is still pending" test (migration 0009).
Index(
    "ix_outbox_ordering_key_pending",
    outbox.c.ordering_key,
    outbox.c.id,
    sqlite_where=text("state = 'pending'"),
    postgresql_where=text("state = 'pending'"),
)
Index("ix_delivery_attempt_endpoint_id_id", delivery_attempt.c.endpoint_id, delivery_attempt.c.id)

# -- delivery estimates (migration 0005) ---------------------------------------------------------------------

# Lane statistics, one row per lane key (every fallback level): JSON histograms, updated one delivery at a time.
lane_stat = Table(
    "lane_stat",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("data", Text, nullable=False),  # {"ahead": {situation: counts}, "waits": {step: counts}}
    Column("parcels", Integer, nullable=False),  # delivered parcels learned under this key
    Column("updated_at", UTCDateTime, nullable=False),
)

# Every change of a parcel's estimate, with its reason.
parcel_estimate = Table(
    "parcel_estimate",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("parcel_id", ForeignKey("parcel.id"), nullable=False),
    Column("earliest", LocalDate, nullable=False),
    Column("latest", LocalDate, nullable=False),
    Column("likely", LocalDate, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("basis", String(32), nullable=False),
    Column("step", String(32), nullable=False),
    Column(
        "reason", String(16), nullable=False
    ),  # scan | missed_step | exception | failed_attempt | stalled | handover
    Column("delayed", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_parcel_estimate_parcel_id_id", parcel_estimate.c.parcel_id, parcel_estimate.c.id)
# Partial indexes on id (lists are newest first by id): only parcels on their way, only stalled parcels. An
# ordinary scan touches neither.
WATCHED = parcel.c.eta_watched.is_(True)
STALLED = parcel.c.eta_stalled_at.is_not(None)
LEARN_PENDING = parcel.c.eta_learn_pending.is_(True)
Index("ix_parcel_eta_watched", parcel.c.id, sqlite_where=WATCHED, postgresql_where=WATCHED)
Index("ix_parcel_eta_stalled", parcel.c.id, sqlite_where=STALLED, postgresql_where=STALLED)
Index("ix_parcel_eta_learn_pending", parcel.c.id, sqlite_where=LEARN_PENDING, postgresql_where=LEARN_PENDING)

# -- shared limits (migration 0007) --------------------------------------------------------------------------

# Counters of rate limits, failure lockouts and stream slots when several processes share the store without
# Redis: one row per key, changed in one INSERT … ON CONFLICT DO UPDATE … RETURNING (atomic on both backends).
# ``resets_at`` is when the key's window ends (epoch seconds); rows long past it are deleted now and then.
limit_counter = Table(
    "limit_counter",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Integer, nullable=False),
    Column("resets_at", Float, nullable=False),
)
Index("ix_limit_counter_resets_at", limit_counter.c.resets_at)

# The parcel list (storage/console/parcels.py): numbers pasted at once, an email, and the placed-date sort and range,
# each within a merchant or across all. Delayed parcels are few: a partial index like the stalled one.
Index("ix_order_order_number", order.c.order_number)
Index("ix_order_customer_email_lower", func.lower(order.c.customer_email))
Index("ix_order_placed_at_id", order.c.placed_at, order.c.id)
Index("ix_order_merchant_id_placed_at_id", order.c.merchant_id, order.c.placed_at, order.c.id)
DELAYED = parcel.c.eta_delayed.is_(True)
Index("ix_parcel_eta_delayed", parcel.c.id, sqlite_where=DELAYED, postgresql_where=DELAYED)
# A parcel's emails and webhooks on its timeline, found by their ordering keys (domain/notifying/outbox.py): the
# outbox has no parcel column. The pending-only index above cannot serve delivered rows.
Index("ix_outbox_ordering_key_id", outbox.c.ordering_key, outbox.c.id)

# The rooms that keep their tables beside their queries join the schema here, so that ``metadata`` is whole for
# every reader of it (imported last: they take ``metadata`` and the core tables from this module).
from ordertrail.storage.accounts import tables as _account_tables  # noqa: E402, F401
from ordertrail.storage.analytics import tables as _analytics_tables  # noqa: E402, F401
from ordertrail.storage.console import tables as _console_tables  # noqa: E402, F401
from ordertrail.storage.couriers import tables as _courier_tables  # noqa: E402, F401
from ordertrail.storage.notifying import tables as _notifying_tables  # noqa: E402, F401
from ordertrail.storage.staff import tables as _staff_tables  # noqa: E402, F401
