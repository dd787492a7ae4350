"""The notifying room's own tables: messages to customers (migration 0013).

It joins the one schema (``storage/tables.py``'s ``metadata``, which imports this module so that the schema is
whole wherever it is read: migrations, the schema check).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text

from ordertrail.storage.tables import metadata
from ordertrail.storage.types import BigId, UTCDateTime

# What staff told a customer about a parcel in their own words: emailed, and shown on the tracking page as a
# message from the shop. ``sent_by`` is for the private timeline; the public page shows only the shop's name.
parcel_message = Table(
    "parcel_message",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("parcel_id", ForeignKey("parcel.id"), nullable=False),
    Column("merchant_id", ForeignKey("merchant.id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("sent_by", String(320), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
Index("ix_parcel_message_parcel_id_id", parcel_message.c.parcel_id, parcel_message.c.id)
