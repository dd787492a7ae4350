"""What the customer-facing endpoints share in one process: the bus, the protections and the signing key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ordertrail.realtime.bus import EventBus
from ordertrail.services.limits.lockouts import Lockout
from ordertrail.services.limits.rates import RateLimit
from ordertrail.services.limits.streams import StreamSlots


@dataclass
class PublicContext:
    """Built by the composition root (``runtime.open_server``); handlers take it as ``PublicDep``.

    The protections count wherever the runtime put their counters (memory, the store or Redis), so they hold
    across every process serving the same customers.
    """

    bus: EventBus
    throttle: RateLimit
    streams: StreamSlots
    order_lookups: Lockout
    secret_key: bytes
    order_view_ttl: timedelta
    retry_ms: int = 2000
