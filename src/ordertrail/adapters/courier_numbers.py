"""Couriers' tracking numbers recognised and validated by the ``tracking-numbers`` library, where it knows them.

The library knows a handful of couriers (UPS, FedEx, USPS, DHL, Amazon, OnTrac, CDL, S10 postal numbers); for
each it knows some formats, with their check digits. A number in a known format whose check fails is refused: a
typo there would send every courier event for the parcel elsewhere. A number in no format the library knows for
its courier is accepted as given: couriers have more formats than any library lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracking_numbers import DEFINITIONS

from ordertrail.domain.errors import InvalidInput

# Courier code (the library's own codes, which ordertrail's codes follow) -> its definitions, grouped once.
_BY_COURIER: dict[str, list[Any]] = {}
for _definition in DEFINITIONS:
    _BY_COURIER.setdefault(_definition.courier.code, []).append(_definition)


@dataclass(frozen=True, slots=True)
class Recognised:
    """A number the library recognised as its courier's: the courier's name, the product, its tracking page."""

    courier_name: str
    product: str
    tracking_url: str | None


def knows(courier: str) -> bool:
    """Whether the library has formats for this courier at all."""
    return courier in _BY_COURIER


def recognise(courier: str, number: str) -> Recognised | None:
    """The library's reading of a (normalized) number of ``courier``; None when it knows no such format.

    Raises InvalidInput (field ``tracking_number``) for a number in a known format that fails its check.
    """
    failed: list[str] = []
    for definition in _BY_COURIER.get(courier, ()):
        found = definition.test(number)
        if found is None:
            continue
        if found.valid:
            return Recognised(found.courier.name, found.product.name, found.tracking_url)
        failed.append(found.product.name)
    if failed:
        raise InvalidInput(
            f"{number} looks like a {failed[0]} number but fails its check digit: check it for a typo.",
            field="tracking_number",
        )
    return None
