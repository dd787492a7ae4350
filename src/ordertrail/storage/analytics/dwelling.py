"""The parcels dwelling now, from the projection: open parcels whose stay (``parcel.stay_facility``,
``stay_since``, kept by every scan) has lasted longer than their facility's usual time. One statement, whatever
the number of parcels: no event is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, false, func, or_, select

from ordertrail.domain.scanning.status import TERMINAL
from ordertrail.storage.orders.scope import parcels_of
from ordertrail.storage.tables import parcel

_FINISHED = sorted(s.value for s in TERMINAL)


def _dwelling(
    query: Select[Any], p90_hours: Mapping[str, float], now: datetime, merchant_ids: frozenset[int] | None
) -> Select[Any]:
    # A stay counts when now - since > p90 (domain/analytics/spans.py, is_dwelling): since < now - p90.
    past_usual: ColumnElement[bool] = or_(
        false(),
        *(
            and_(parcel.c.stay_facility == facility, parcel.c.stay_since < now - timedelta(hours=hours))
            for facility, hours in sorted(p90_hours.items())
        ),
    )
    query = query.where(parcel.c.status.not_in(_FINISHED), past_usual)
    if merchant_ids is not None:
        query = query.where(parcels_of(merchant_ids))  # asked per parcel: the stays' index stays the way in
    return query


def dwelling_ids(
    connection: Connection, p90_hours: Mapping[str, float], now: datetime, *, merchant_ids: frozenset[int] | None
) -> frozenset[int]:
    """The parcels of ``merchant_ids`` (None: every merchant) dwelling now."""
    if not p90_hours or (merchant_ids is not None and not merchant_ids):
        return frozenset()
    return frozenset(connection.scalars(_dwelling(select(parcel.c.id), p90_hours, now, merchant_ids)))


def dwelling_count(
    connection: Connection, p90_hours: Mapping[str, float], now: datetime, *, merchant_ids: frozenset[int] | None
) -> int:
    """How many parcels ``dwelling_ids`` gives, counted by the store."""
    if not p90_hours or (merchant_ids is not None and not merchant_ids):
        return 0
    return int(connection.scalar(_dwelling(select(func.count(parcel.c.id)), p90_hours, now, merchant_ids)) or 0)
