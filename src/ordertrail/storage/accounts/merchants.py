"""Merchants: the shops whose orders ordertrail tracks."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from ordertrail.domain.accounts.merchant_settings import Logo, MerchantSettings
from ordertrail.domain.orders.order import Address
from ordertrail.storage.accounts.tables import merchant_logo
from ordertrail.storage.tables import merchant
from ordertrail.storage.types import new_id

_UNSET = object()


def create_merchant(
    connection: Connection,
    *,
    name: str,
    at: datetime,
    display_name: str | None = None,
    return_address: Address | None = None,
) -> int:
    """Insert a merchant; the caller checks the name is free."""
    values = {"name": name, "created_at": at, "display_name": display_name, "return_address": _dump(return_address)}
    return new_id(connection.execute(insert(merchant).values(**values)))


def update_merchant(
    connection: Connection,
    merchant_id: int,
    *,
    display_name: str | object | None = _UNSET,
    return_address: Address | object | None = _UNSET,
    support_email: str | object | None = _UNSET,
    support_url: str | object | None = _UNSET,
) -> None:
    """Change what is given (None clears it); what is not given stays."""
    values: dict[str, object] = {}
    if support_email is not _UNSET:
        values["support_email"] = support_email
    if support_url is not _UNSET:
        values["support_url"] = support_url
    if display_name is not _UNSET:
        values["display_name"] = display_name
    if return_address is not _UNSET:
        values["return_address"] = _dump(return_address)  # type: ignore[arg-type]
    if values:
        connection.execute(update(merchant).where(merchant.c.id == merchant_id).values(**values))


def _dump(address: Address | None) -> str | None:
    return None if address is None else json.dumps(asdict(address), ensure_ascii=False, sort_keys=True)


def _load(text: str | None) -> Address | None:
    return None if text is None else Address(**json.loads(text))


def merchant_id_by_name(connection: Connection, name: str) -> int | None:
    return connection.execute(select(merchant.c.id).where(merchant.c.name == name)).scalar_one_or_none()


def merchant_names(connection: Connection, ids: Sequence[int]) -> dict[int, str]:
    """The names customers see (on labels, pages and in emails): the display name where one is set."""
    if not ids:
        return {}
    shown = func.coalesce(merchant.c.display_name, merchant.c.name).label("shown")
    return {r.id: r.shown for r in connection.execute(select(merchant.c.id, shown).where(merchant.c.id.in_(ids)))}


def return_addresses(connection: Connection, ids: Sequence[int]) -> dict[int, Address]:
    """The return addresses of those of ``ids`` that have one."""
    if not ids:
        return {}
    rows = connection.execute(
        select(merchant.c.id, merchant.c.return_address).where(
            merchant.c.id.in_(ids), merchant.c.return_address.is_not(None)
        )
    )
    return {r.id: address for r in rows if (address := _load(r.return_address)) is not None}


def list_merchants(connection: Connection) -> list[tuple[int, str, datetime]]:
    rows = connection.execute(select(merchant.c.id, merchant.c.name, merchant.c.created_at).order_by(merchant.c.id))
    return [(r.id, r.name, r.created_at) for r in rows]


def merchant_details(connection: Connection) -> list[tuple[int, str, str | None, Address | None, datetime]]:
    """Every merchant: id, name, display name, return address, created."""
    rows = connection.execute(
        select(
            merchant.c.id, merchant.c.name, merchant.c.display_name, merchant.c.return_address, merchant.c.created_at
        ).order_by(merchant.c.id)
    )
    return [(r.id, r.name, r.display_name, _load(r.return_address), r.created_at) for r in rows]


def merchant_settings(connection: Connection, merchant_id: int) -> MerchantSettings | None:
    return merchant_settings_of(connection, [merchant_id]).get(merchant_id)


def merchant_settings_of(connection: Connection, ids: Sequence[int]) -> dict[int, MerchantSettings]:
    """What customers see of each merchant (name, logo, support contact), for pages and emails."""
    if not ids:
        return {}
    logo = merchant_logo.c
    rows = connection.execute(
        select(
            merchant.c.id,
            merchant.c.name,
            merchant.c.display_name,
            merchant.c.support_email,
            merchant.c.support_url,
            logo.media_type,
            logo.sha256,
            logo.width,
            logo.height,
            logo.size,
        )  # one query (it runs in a scan's transaction when emails are due), and never the logo's bytes
        .select_from(merchant.outerjoin(merchant_logo, logo.merchant_id == merchant.c.id))
        .where(merchant.c.id.in_(ids))
    )
    return {
        r.id: MerchantSettings(
            r.id,
            r.name,
            r.display_name,
            r.support_email,
            r.support_url,
            None if r.sha256 is None else Logo(r.id, r.media_type, r.sha256, r.width, r.height, r.size),
        )
        for r in rows
    }
