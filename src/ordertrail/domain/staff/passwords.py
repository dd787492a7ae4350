"""The rules a new staff password must meet: a minimum length and not one of the most common passwords.

Following NIST SP 800-63B: length over composition rules, and a check against known-bad passwords. The list ships
with the package (``common-passwords.txt``, one a line); hashing is not a rule and lives in ``adapters/passwords``.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Final

MIN_LENGTH: Final = 12
MAX_LENGTH: Final = 256  # Argon2 takes any length; this bounds the work one request can ask for


@cache
def common_passwords() -> frozenset[str]:
    text = files(__package__).joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str, *, email: str) -> str | None:
    """Why ``password`` may not be used (None when it may)."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords() or lowered.rstrip("0123456789!") in common_passwords():
        return "That password is one of the most common ones: choose another."
    if len(set(password)) < 4:
        return "That password repeats too few characters: choose another."
    local = email.partition("@")[0].lower()
    if email.lower() in lowered or (len(local) >= 4 and local in lowered):
        return "The password may not contain your email address."
    return None
