"""A handover: the courier that carries a parcel on, under its own tracking number, and the rules it follows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import urlsplit

from ordertrail.domain.errors import FieldProblem

# Lower-case slugs ("ups", "royal_mail"): they name mapping files and travel in the carrier-events body.
COURIER_CODE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{1,31}$")
# Couriers' numbers are letters, digits and the odd dash; spaces are typed for legibility and dropped.
COURIER_NUMBER: Final = re.compile(r"^[A-Z0-9-]{4,40}$")
MAX_SERVICE_LEVEL: Final = 64
MAX_URL: Final = 2000


@dataclass(frozen=True, slots=True)
class Handover:
    """A parcel in a courier's hands: who, under which number, which service, and where customers follow it."""

    courier: str
    tracking_number: str
    service_level: str | None
    tracking_url: str | None
    handed_over_at: datetime
    courier_name: str | None = None  # as the tracking-number library knows it ("UPS"); None: shown as the code
    recognised: bool = False  # the number was recognised and validated for this courier


def normalize_courier_number(raw: str) -> str:
    """The courier's number as compared and stored: upper case, without spaces."""
    return "".join(raw.split()).upper()


def handover_problems(
    *, courier: str, tracking_number: str, service_level: str | None, tracking_url: str | None
) -> list[FieldProblem]:
    """The rules a handover breaks (empty when it is acceptable); ``tracking_number`` is already normalized."""
    problems: list[FieldProblem] = []
    if not COURIER_CODE.match(courier):
        problems.append(FieldProblem("courier", "must be 2 to 32 lower-case letters, digits, '_' or '-'"))
    if not COURIER_NUMBER.match(tracking_number):
        problems.append(FieldProblem("tracking_number", "must be 4 to 40 letters, digits or '-'"))
    if service_level is not None and not 0 < len(service_level) <= MAX_SERVICE_LEVEL:
        problems.append(FieldProblem("service_level", f"must be 1 to {MAX_SERVICE_LEVEL} characters"))
    if tracking_url is not None:
        reason = url_problem(tracking_url)
        if reason is not None:
            problems.append(FieldProblem("tracking_url", reason))
    return problems


def url_problem(url: str) -> str | None:
    """Why a courier's tracking URL cannot be linked from public pages (None when it can)."""
    if len(url) > MAX_URL:
        return f"must be at most {MAX_URL} characters"
    # Public pages link to it: anything but an absolute http(s) address (javascript:, data:) would run there.
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an absolute http or https URL"
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "must not contain spaces or control characters"
    return None
