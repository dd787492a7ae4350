"""The analytics room's tables: the weekly report's recipients and the weeks sent (migration 0025).

It joins the one schema (``storage/tables.py``'s ``metadata``, which imports this module so that the schema is
whole wherever it is read: migrations, the schema check).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Table, Text

from ordertrail.storage.tables import metadata
from ordertrail.storage.types import LocalDate, UTCDateTime

# -- the weekly report (migration 0025) -------------------------------------------------------------------------

# Who receives a merchant's weekly report (docs/analytics.md): opted in or not, and the addresses (a JSON list).
weekly_report = Table(
    "weekly_report",
    metadata,
    Column("merchant_id", ForeignKey("merchant.id"), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("recipients", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# One row per merchant and week sent, written in the transaction of its outbox rows: the primary key makes a
# second process's attempt at the same week fail, so a week goes out once.
weekly_report_sent = Table(
    "weekly_report_sent",
    metadata,
    Column("merchant_id", ForeignKey("merchant.id"), primary_key=True),
    Column("week_start", LocalDate, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)
