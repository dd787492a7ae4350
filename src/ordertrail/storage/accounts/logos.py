"""Merchants' logos: one row per merchant with the image's bytes, written whole and read by version."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ordertrail.domain.accounts.merchant_settings import Logo
from ordertrail.storage.accounts.tables import merchant_logo


def put_logo(
    connection: Connection, merchant_id: int, *, content: bytes, media_type: str, width: int, height: int, at: datetime
) -> Logo:
    """Set the merchant's logo (replacing any): one INSERT … ON CONFLICT DO UPDATE, so two uploads at once on
    PostgreSQL end with one of them, never a key conflict."""
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    logo = Logo(merchant_id, media_type, hashlib.sha256(content).hexdigest(), width, height, len(content))
    values = {
        "media_type": media_type,
        "sha256": logo.sha256,
        "width": width,
        "height": height,
        "size": len(content),
        "content": content,
        "updated_at": at,
    }
    statement = insert(merchant_logo).values(merchant_id=merchant_id, **values)
    connection.execute(statement.on_conflict_do_update(index_elements=[merchant_logo.c.merchant_id], set_=values))
    return logo


def remove_logo(connection: Connection, merchant_id: int) -> None:
    connection.execute(delete(merchant_logo).where(merchant_logo.c.merchant_id == merchant_id))


def logo_content(connection: Connection, merchant_id: int, sha256: str) -> tuple[str, bytes] | None:
    """The media type and bytes of the merchant's logo if ``sha256`` is its current version, else None."""
    row = connection.execute(
        select(merchant_logo.c.media_type, merchant_logo.c.content).where(
            merchant_logo.c.merchant_id == merchant_id, merchant_logo.c.sha256 == sha256
        )
    ).one_or_none()
    return None if row is None else (row.media_type, bytes(row.content))
