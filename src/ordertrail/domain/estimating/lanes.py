"""Lanes: where a parcel comes from and goes to, at several levels of detail for falling back fine -> coarse."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Final

from ordertrail.domain.estimating.zones import region_code

ANY: Final = "*"
MAX_KEY: Final = 300  # the length of ``lane_stat.key``


class LaneLevel(StrEnum):
    """How specific a lane key is: origin (facility, region, any) by destination (postal area, region, country)."""

    COURIER = "courier"  # origin facility -> destination postal area, by one courier's service level
    LANE = "lane"  # origin facility -> destination postal area
    REGION_AREA = "origin_region>area"  # origin region -> destination postal area
    FACILITY_REGION = "facility>region"  # origin facility -> destination region
    REGION_REGION = "region>region"  # origin region -> destination region
    AREA = "area"  # any origin -> destination postal area
    ORIGIN_COUNTRY = "origin_country"  # origin facility -> destination country
    REGION = "region"  # any origin -> destination region
    REGION_COUNTRY = "region>country"  # origin region -> destination country
    COUNTRY = "country"  # any origin -> destination country
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
    """The route of a parcel: the facility it left from (and that facility's region) and where it goes (postal
    area and region), and the courier (with its service level) it was handed to, if any. Regions are optional:
    without them a lane has the four keys it always had, plus the destination area from any origin. Without a
    courier a lane has exactly the keys it had before couriers were known."""

    origin: str
    country: str
    area: str = ANY
    origin_region: str | None = None  # "US-CA": the origin's country and region
    region: str | None = None  # the destination's region, as ``zones.region_code`` writes it
    courier: str | None = None  # the code of the courier it was handed to ("dhl")
    service_level: str | None = None  # that courier's service ("express"), as the handover gave it

    @classmethod
    def of(
        cls,
        origin: str | None,
        country: str,
        postal_code: str | None,
        *,
        origin_region: str | None = None,
        region: str | None = None,
        courier: str | None = None,
        service_level: str | None = None,
    ) -> Lane:
        """The lane of a parcel from ``origin`` to a destination address (handed to ``courier``, if any)."""
        return cls(
            origin=origin or ANY,
            country=country.upper(),
            area=postal_area(country, postal_code),
            origin_region=origin_region.strip().upper() if origin_region and origin_region.strip() else None,
            region=region_code(country, region),
            courier=courier,
            service_level=service_level,
        )

    def fallbacks(self) -> tuple[tuple[LaneLevel, str], ...]:
        """The lane's keys from finest to coarsest: the fallback order of every lookup (see ``_fallbacks``)."""
        return _fallbacks(self)

    @property
    def name(self) -> str:
        """The finest key, as shown in reports."""
        return self.fallbacks()[0][1]


@lru_cache(maxsize=65_536)  # every estimate and every learned parcel walks its lane's keys
def _fallbacks(lane: Lane) -> tuple[tuple[LaneLevel, str], ...]:
    """Both axes backed off together, by how much detail each key keeps, destination detail first on ties:
    a real shop's origins are sparse (thousands of sellers), and the destination area carries most of the
    signal, so a sparse origin falls back to its region, then to any origin, before the destination is
    coarsened. Keys whose parts are unknown (no region) are left out.

    A parcel handed to a courier first tries its finest lane by that courier's service level (``courier_key``):
    one courier's express and another's economy differ by days on the same road. Only one such level: below
    it the courier's parcels pool with every other parcel of the lane, as before couriers were known."""
    origin = lane.origin
    region = f"region:{lane.origin_region}" if lane.origin_region and origin != ANY else None
    area = f"{lane.country}-{lane.area}"
    to_region = f"{lane.country}:{lane.region}" if lane.region else None
    country = lane.country
    wanted = (
        (LaneLevel.LANE, origin, area),
        (LaneLevel.REGION_AREA, region, area),
        (LaneLevel.FACILITY_REGION, origin, to_region),
        (LaneLevel.REGION_REGION, region, to_region),
        (LaneLevel.AREA, ANY, area),
        (LaneLevel.ORIGIN_COUNTRY, origin, country),
        (LaneLevel.REGION, ANY, to_region),
        (LaneLevel.REGION_COUNTRY, region, country),
        (LaneLevel.COUNTRY, ANY, country),
    )
    keys: list[tuple[LaneLevel, str]] = []
    if lane.courier:
        keys.append((LaneLevel.COURIER, courier_key(lane.courier, lane.service_level, f"{origin}>{area}")))
    seen: set[str] = set()
    for level, source, target in wanted:
        if source is None or target is None:
            continue
        key = f"{source}>{target}"
        if key not in seen:
            seen.add(key)
            keys.append((level, key))
    keys.append((LaneLevel.NETWORK, ANY))
    return tuple(keys)


def courier_key(courier: str, service_level: str | None, lane_key: str) -> str:
    """The key of ``lane_key`` by one courier's service level: ``courier:dhl/express|Seller 7>US-94``. Service
    levels are compared as words (case and surrounding spaces aside); a handover without one has its own key
    (``courier:dhl|…``), not a guess at "standard"."""
    service = " ".join(service_level.split()).lower() if service_level else ""
    code = courier.strip().lower()
    key = f"courier:{code}/{service}|{lane_key}" if service else f"courier:{code}|{lane_key}"
    if len(key) > MAX_KEY:  # a long facility name with a long service name: still one key, and it fits its column
        key = f"courier:{code}#{hashlib.sha256(key.encode()).hexdigest()}"
    return key


def lane_destination(
    saved_country: str | None, saved_area: str | None, country: str, postal_code: str | None
) -> tuple[str, str]:
    """The destination part of a parcel's lane (country, area): as saved with its estimate state, else from
    its order's address."""
    if saved_country:
        return saved_country, saved_area or ""
    return country.upper(), postal_area(country, postal_code)
