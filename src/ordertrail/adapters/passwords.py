"""Password hashing with Argon2id (argon2-cffi), and the check that a stored hash needs redoing.

The parameters come from the settings (``ORDERTRAIL_PASSWORD_TIME_COST``, ``…_MEMORY_KIB``); a hash made with
other parameters still verifies, and ``needs_rehash`` tells sign-in to store a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError


@dataclass(frozen=True)
class Passwords:
    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4
    _hasher: PasswordHasher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        hasher = PasswordHasher(
            time_cost=self.time_cost, memory_cost=self.memory_kib, parallelism=self.parallelism, type=Type.ID
        )
        object.__setattr__(self, "_hasher", hasher)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        """True when ``password`` matches ``stored``; a malformed stored hash never matches."""
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)

    def waste_time(self, password: str) -> None:
        """Verify against a hash nobody has, so an unknown email takes as long to refuse as a wrong password."""
        self.verify(_dummy(self), password)


_DUMMIES: dict[tuple[int, int, int], str] = {}


def _dummy(passwords: Passwords) -> str:
    key = (passwords.time_cost, passwords.memory_kib, passwords.parallelism)
    if key not in _DUMMIES:
        _DUMMIES[key] = passwords.hash("not the password of anyone")
    return _DUMMIES[key]
