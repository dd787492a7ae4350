"""Lanes: where a parcel comes from and goes to, at several levels of detail for falling back fine -> coarse."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

ANY: Final = "*"


class LaneLevel(StrEnum):
    """How specific a lane key is, finest first."""

    LANE = "lane"  # origin facility -> destination postal area -> destination country
    ORIGIN_COUNTRY = "origin_country"  # origin facility -> destination country
    COUNTRY = "country"  # anything -> destination country
    NETWORK = "network"  # the whole network


def postal_area(country: str, postal_code: str | None) -> str:
    """The coarse area of a postal code: the letters of a UK/IE/CA/NL outward code, else the first two digits."""
    if not postal_code:
        return ANY
    code = postal_code.strip().upper().replace(" ", "")
    if country.upper() in {"GB", "IE", "CA"}:
        letters = ""
        for char in code:
            if not char.isalpha():
                break
            letters += char
        return letters or code[:2]
    return code[:2]


@dataclass(frozen=True, slots=True)
class Lane:
    """The route of a parcel: the facility it left from and where it goes."""

    origin: str
    country: str
    area: str = ANY

    @classmethod
    def of(cls, origin: str | None, country: str, postal_code: str | None) -> Lane:
        """The lane of a parcel from ``origin`` to a destination address."""
        return cls(origin=origin or ANY, country=country.upper(), area=postal_area(country, postal_code))

    def fallbacks(self) -> tuple[tuple[LaneLevel, str], ...]:
        """The lane's keys from finest to coarsest: the fallback order of every lookup."""
        return (
            (LaneLevel.LANE, f"{self.origin}>{self.country}-{self.area}"),
            (LaneLevel.ORIGIN_COUNTRY, f"{self.origin}>{self.country}"),
            (LaneLevel.COUNTRY, f"{ANY}>{self.country}"),
            (LaneLevel.NETWORK, ANY),
        )

    @property
    def name(self) -> str:
        """The finest key, as shown in reports."""
        return self.fallbacks()[0][1]


def lane_destination(
    saved_country: str | None, saved_area: str | None, country: str, postal_code: str | None
) -> tuple[str, str]:
    """The destination part of a parcel's lane (country, area): as saved with its estimate state, else from
    its order's address."""
    if saved_country:
        return saved_country, saved_area or ""
    return country.upper(), postal_area(country, postal_code)
