"""Rendered public tracking documents, validated against the store on every read.

A lookup costs one indexed point read (the parcel's version) when the document is cached, instead of reading
and replaying all its events. The version comes from the store, so a scan recorded by any process invalidates
the entry at once: nothing stale is ever served.
"""

from __future__ import annotations

from collections import OrderedDict

import orjson

from ordertrail.services.ports import Ports
from ordertrail.services.tracking.documents import public_tracking
from ordertrail.services.tracking.lookup import canonical_number, track_parcel, tracking_version


class TrackingCache:
    """An LRU of ``tracking number -> (version, JSON bytes)``."""

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, tuple[tuple[object, ...], bytes]] = OrderedDict()

    async def document(self, services: Ports, raw_number: str) -> bytes:
        """The public tracking JSON of a parcel; raises ParcelNotFound (also for malformed numbers)."""
        number = canonical_number(raw_number)
        version = await tracking_version(services, number=number)
        cached = self._entries.get(number)
        if cached is not None and cached[0] == version:
            self._entries.move_to_end(number)
            return cached[1]
        # Read after the version: if a scan lands in between, the entry is stored under the older version
        # and the next probe re-renders it. The reverse (a stale document under a newer version) cannot happen.
        body = orjson.dumps(public_tracking(await track_parcel(services, tracking_number=number)))
        self._entries[number] = (version, body)
        self._entries.move_to_end(number)
        if len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        return body
