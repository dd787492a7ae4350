"""Webhook endpoints as the console's queue sees them: failing or not, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class EndpointHealth:
    """An endpoint (not deleted) and its newest delivery attempt."""

    id: int
    merchant_id: int
    url: str
    description: str | None
    disabled_at: datetime | None
    disabled_reason: str | None
    last_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    last_succeeded: bool | None = None

    @property
    def failing(self) -> bool:
        """Disabled (its messages are held until someone replays them), or its newest attempt failed: the
        merchant's system is not hearing about its parcels. An endpoint never tried yet is not failing."""
        return self.disabled_at is not None or self.last_succeeded is False
