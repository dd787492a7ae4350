"""The couriers room's tables: integrations, parcels' handovers and the events couriers sent (migration 0015).

They join the one schema (``storage/tables.py``'s ``metadata``, which imports this module so that the schema is
whole wherever it is read: migrations, the schema check).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

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
    # Who signs and shapes its requests: "generic" (Standard Webhooks) or an aggregator (migration 0020).
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
    UniqueConstraint("courier", "tracking_number", name="uq_parcel_handover_courier_tracking_number"),
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
)
Index(
    "ix_courier_event_courier_courier_tracking_number", courier_event.c.courier, courier_event.c.courier_tracking_number
)
