"""Aggregators' webhook payloads (Karrio, EasyPost, AfterShip) read as courier events in the generic format.

Each module reads its sender's document into ``ForeignEvent``s: the courier as the aggregator names it, and the
event in the generic shape of ``POST /api/v1/carrier-events`` (validated there, by the same schema). Only what a
timeline needs is read: names, addresses, e-mails and "signed by" never leave the payload.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from ordertrail.domain.couriers.aggregators import aftership, easypost, karrio
from ordertrail.domain.couriers.aggregators.common import ForeignEvent

READERS: Final[dict[str, Callable[[Any], list[ForeignEvent]]]] = {
    "karrio": karrio.events,
    "easypost": easypost.events,
    "aftership": aftership.events,
}

__all__ = ["READERS", "ForeignEvent"]
