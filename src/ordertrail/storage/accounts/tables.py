"""The accounts room's tables: a merchant's logo (migration 0029).

It joins the one schema (``storage/tables.py``'s ``metadata``, which imports this module so that the schema is
whole wherever it is read: migrations, the schema check).
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, LargeBinary, String, Table

from ordertrail.storage.tables import metadata
from ordertrail.storage.types import UTCDateTime

# A merchant's logo, in the store so that every server process (and either store) serves the same one; apart from
# the merchant row, so that reading a merchant never reads its bytes.
merchant_logo = Table(
    "merchant_logo",
    metadata,
    Column("merchant_id", ForeignKey("merchant.id"), primary_key=True),
    Column("media_type", String(20), nullable=False),  # image/png or image/jpeg, as decoded
    Column("sha256", String(64), nullable=False),  # of ``content``: its version, ETag and address
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
