"""Courier status codes as data: the shipped files load, bad files are refused, unmapped codes stay in transit."""

from __future__ import annotations

from typing import Any

import pytest

from ordertrail.domain.couriers.mapping import (
    UNMAPPED,
    MappingError,
    load_registry,
    parse_aggregator_mapping,
    parse_mapping,
)
from ordertrail.domain.scanning.status import Status


def test_the_shipped_files_load_and_map_known_codes() -> None:
    registry = load_registry()
    assert registry.resolve("ups", "D").status is Status.DELIVERED
    assert registry.resolve("ups", "O").substatus == "out_for_delivery.with_courier"
    assert registry.resolve("dhl", "transit").status is Status.IN_TRANSIT


def test_an_unmapped_code_or_courier_is_in_transit_and_marked_unmapped() -> None:
    registry = load_registry()
    for courier, code in (("ups", "ZZ"), ("nowhere_post", "D")):
        found = registry.resolve(courier, code)
        assert found is UNMAPPED
        assert (found.status, found.mapped) == (Status.IN_TRANSIT, False)


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        ({"X": {"status": "exception"}}, "needs a reason"),
        ({"X": {"status": "exception", "reason": "nobody_home"}}, "needs a reason: one of"),
        ({"D": {"status": "delivered", "reason": "damaged"}}, "takes no reason code"),
        ({"D": {"status": "teleported"}}, "status must be one of"),
        ({"P": {"status": "packed"}}, "status must be one of"),
        ({"I": {"status": "in_transit", "substatus": "delivered.to_neighbour"}}, "is not a substatus"),
        ({"I": {"status": "in_transit", "colour": "red"}}, "must be an object"),
    ],
)
def test_a_file_breaking_the_rules_is_refused_naming_the_entry(codes: dict[str, Any], message: str) -> None:
    with pytest.raises(MappingError, match=message) as raised:
        parse_mapping({"courier": "ups", "codes": codes}, source="ups.json")
    assert f"ups.json: codes.{next(iter(codes))}" in str(raised.value)


def test_an_exception_code_with_its_reason_is_accepted() -> None:
    _, codes = parse_mapping(
        {"courier": "acme", "codes": {"X1": {"status": "exception", "reason": "damaged"}}}, source="acme.json"
    )
    assert (codes["X1"].status, codes["X1"].reason) == (Status.EXCEPTION, "damaged")


def test_a_bad_courier_code_is_refused() -> None:
    with pytest.raises(MappingError, match="'courier' must be"):
        parse_mapping({"courier": "Royal Mail", "codes": {}}, source="x.json")


def test_an_aggregator_file_names_its_carriers_and_is_checked_like_a_courier_s() -> None:
    name, codes, carriers = parse_aggregator_mapping(
        {"aggregator": "acme_track", "codes": {"ok": {"status": "delivered"}}, "carriers": {"ACME": "acme"}},
        source="acme_track.json",
    )
    assert (name, codes["ok"].status, carriers) == ("acme_track", Status.DELIVERED, {"ACME": "acme"})
    with pytest.raises(MappingError, match=r"acme_track\.json: carriers\.ACME must be a courier code"):
        parse_aggregator_mapping(
            {"aggregator": "acme_track", "codes": {}, "carriers": {"ACME": "Not A Code"}}, source="acme_track.json"
        )
    with pytest.raises(MappingError, match=r"acme_track\.json: codes\.X"):
        parse_aggregator_mapping(
            {"aggregator": "acme_track", "codes": {"X": {"status": "exception"}}, "carriers": {}},
            source="acme_track.json",
        )
    registry = load_registry()
    assert registry.courier_of("easypost", "DHLExpress") == "dhl" and registry.courier_of("aftership", "ups") == "ups"
    assert registry.courier_of("easypost", "Not a code!") is None
