"""The couriers room's tables: integrations, parcels' handovers and the events couriers sent (migrations 0015,
0019), merchants' mapping overrides (0020), integrations' source (0023).

They join the one schema (``storage/tables.py``'s ``metadata``, which imports this module so that the schema is
whole wherever it is read: migrations, the schema check).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, and_

from ordertrail.storage.tables import metadata
from ordertrail.storage.types import BigId, UTCDateTime

# -- couriers (migration 0015) ---------------------------------------------------------------------------------

# A courier (or a system that speaks for it) that posts events to /api/v1/carrier-events, with the Standard
# Webhooks secret its requests are signed with. The secret is kept in the clear: verifying needs it.
courier_integration = Table(
    "courier_integration",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("courier", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("secret", String(100), nullable=False),
    # Who signs and shapes its requests: "generic" (Standard Webhooks) or an aggregator (migration 0023).
    Column("source", String(16), nullable=False, server_default="generic"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

# The courier a parcel is handed to (one at a time: a later handover replaces it). Courier events find their parcel
# by (courier, tracking_number), so that pair belongs to one parcel.
parcel_handover = Table(
    "parcel_handover",
    metadata,
    Column("parcel_id", ForeignKey("parcel.id"), primary_key=True),
    Column("courier", String(32), nullable=False),
    Column("tracking_number", String(40), nullable=False),  # the courier's, normalized
    Column("service_level", String(64), nullable=True),
    Column("tracking_url", String(2000), nullable=True),
    Column("courier_name", String(100), nullable=True),  # as the tracking-number library names it
    Column("recognised", Boolean, nullable=False),  # validated by the library for this courier
    Column("handed_over_at", UTCDateTime, nullable=False),
    # Reconciliation (migration 0019): when the courier's first event was recorded (its acceptance); when the
    # parcel was found not picked up (no courier event within the lane's usual window after dispatch); the
    # earliest courier event dated before the dispatch scan (the courier's clock, or the wrong parcel).
    Column("accepted_at", UTCDateTime, nullable=True, index=True),
    Column("not_picked_up_at", UTCDateTime, nullable=True),
    Column("early_event_at", UTCDateTime, nullable=True),
    UniqueConstraint("courier", "tracking_number", name="uq_parcel_handover_courier_tracking_number"),
)
# The overview's counts of each (migration 0026): few handovers are either, so each has a partial index.
NOT_PICKED_UP = and_(parcel_handover.c.not_picked_up_at.is_not(None), parcel_handover.c.accepted_at.is_(None))
COURIER_EARLY = parcel_handover.c.early_event_at.is_not(None)
Index(
    "ix_parcel_handover_not_picked_up",
    parcel_handover.c.parcel_id,
    sqlite_where=NOT_PICKED_UP,
    postgresql_where=NOT_PICKED_UP,
)
Index(
    "ix_parcel_handover_early", parcel_handover.c.parcel_id, sqlite_where=COURIER_EARLY, postgresql_where=COURIER_EARLY
)

# Every courier event received, in the courier's words: the raw code kept beside the scan it became (scan_event,
# same event_id), or, while no handover has its (courier, number), kept whole until one does (``parcel_id`` NULL).
courier_event = Table(
    "courier_event",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("integration_id", ForeignKey("courier_integration.id"), nullable=False),
    Column("courier", String(32), nullable=False),
    Column("courier_tracking_number", String(40), nullable=False),
    Column("courier_event_id", String(200), nullable=False),
    Column("code", String(64), nullable=False),
    Column("mapped", Boolean, nullable=False),  # False: no mapping knew the code; recorded in transit
    Column("body_hash", String(64), nullable=False),
    Column("payload", Text, nullable=False),  # the normalized courier event as JSON, to replay when unmatched
    Column("parcel_id", ForeignKey("parcel.id"), nullable=True, index=True),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("attached_at", UTCDateTime, nullable=True),
    # The scan event standing for this courier event on the timeline when it is not ``event_id`` itself: a new
    # mapping of its code recorded a replacement and voided the earlier one (migration 0020).
    Column("recorded_event_id", String(36), nullable=True),
)
Index(
    "ix_courier_event_courier_courier_tracking_number", courier_event.c.courier, courier_event.c.courier_tracking_number
)
# The unmapped codes queue, and the events a new mapping of one code re-derives.
Index("ix_courier_event_mapped_courier_code", courier_event.c.mapped, courier_event.c.courier, courier_event.c.code)

# -- mapping overrides (migration 0020) -------------------------------------------------------------------------

# A merchant's own meaning for one courier code, over the shipped mapping files (checked by the same rules).
courier_mapping_override = Table(
    "courier_mapping_override",
    metadata,
    Column("merchant_id", ForeignKey("merchant.id"), primary_key=True),
    Column("courier", String(32), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("status", String(32), nullable=False),
    Column("reason", String(64), nullable=True),
    Column("substatus", String(64), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(320), nullable=False),
)

# Requests that set or removed an override under an Idempotency-Key: a retry is answered with the first answer.
courier_mapping_request = Table(
    "courier_mapping_request",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("actor_kind", String(16), nullable=False),
    Column("actor_id", Integer, nullable=True),
    Column("idempotency_key", String(200), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("answer", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint(
        "actor_kind",
        "actor_id",
        "idempotency_key",
        name="uq_courier_mapping_request_actor_kind_actor_id_idempotency_key",
    ),
)
