"""Webhook endpoints: where a merchant receives signed events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A webhook endpoint as stored (with its secrets: never shown after creation)."""

    id: int
    merchant_id: int
    url: str
    description: str | None
    event_types: tuple[str, ...]
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None

    def secrets(self, now: datetime) -> tuple[str, ...]:
        """The secrets to sign with: the current one, and during a rotation the previous one too."""
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            return (self.secret, self.previous_secret)
        return (self.secret,)
