"""What the customer-facing endpoints share in one process: the bus, the protections and the signing key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ordertrail.adapters.rate_limits import StreamSlots, Throttle
from ordertrail.realtime.bus import EventBus


@dataclass
class PublicContext:
    """Built by the composition root (``runtime.open_server``); handlers take it as ``PublicDep``."""

    bus: EventBus
    throttle: Throttle
    streams: StreamSlots
    secret_key: bytes
    order_view_ttl: timedelta
    retry_ms: int = 2000
