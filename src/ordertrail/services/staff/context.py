"""What the staff use cases need besides the store and the clock: the password hasher and the rules in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ordertrail.adapters.passwords import Passwords
from ordertrail.domain.staff.lockout import LockoutPolicy


@dataclass(frozen=True, slots=True)
class StaffRules:
    passwords: Passwords
    lockout: LockoutPolicy
    invitation_ttl: timedelta
    session_idle: timedelta
    session_max: timedelta
    public_base_url: str

    def invitation_url(self, token: str) -> str:
        return f"{self.public_base_url.rstrip('/')}/console/invitation/{token}"
