"""The rules every input follows, whatever the route or the store: instants, text, order numbers, countries.

Each rule is one function returning the reason a value breaks it (None when it is acceptable), so the request
schemas (which name the field) and the use cases (which know the time) apply the same rule. They exist because
both stores must be able to keep, convert and serve what is accepted: an instant in year 1 overflows when
converted to UTC, PostgreSQL refuses NUL in text, and an order number with ``/`` or CR/LF cannot be put in a URL
or a header.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Final

# No parcel of this service happened before this; anything earlier is a wrong clock or a unit mistake.
EARLIEST_INSTANT: Final = datetime(2000, 1, 1, tzinfo=UTC)
# Device clocks drift; anything further ahead than this is a wrong clock, not a scan.
FUTURE_TOLERANCE: Final = timedelta(minutes=10)
# A scan may be dated a little before its order (a shop clock behind the carrier's), not days before.
BEFORE_ORDER_TOLERANCE: Final = timedelta(days=1)
# A promise further out than this is a typo (a year 2062 for 2026), not a delivery date.
LONGEST_PROMISE: Final = timedelta(days=366)

# RFC 3339 date-time with a mandatory offset (``Z`` or ``±hh:mm``), as in ``2026-03-01T09:30:00+01:00``.
RFC3339: Final = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")

ORDER_NUMBER_MAX: Final = 64
ORDER_NUMBER_SEPARATORS: Final = "-_.# "

# Unicode's control characters (category Cc) and unpaired surrogates; line breaks (LF, CR) and tabs are fine in a
# free-text note, nowhere else. (A regular expression: a scan's note is checked on the hot path.)
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_MULTILINE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def rfc3339_problem(text: object) -> str | None:
    """Why ``text`` is not an RFC 3339 date-time with an offset (a unix number, a date alone, no offset)."""
    if not isinstance(text, str):
        return "must be an RFC 3339 date-time string with a UTC offset, e.g. 2026-03-01T09:30:00+01:00"
    if not RFC3339.match(text):
        return "must be an RFC 3339 date-time with a UTC offset, e.g. 2026-03-01T09:30:00+01:00"
    return None


EARLY: Final = "must not be before 2000-01-01T00:00:00Z"
FUTURE: Final = "is more than 10 minutes in the future: check the device clock"


def instant_problem(value: datetime, *, now: datetime | None = None) -> str | None:
    """Why ``value`` is outside the accepted range: not before 2000-01-01 UTC, not more than 10 minutes after ``now``.

    Without ``now`` only the lower bound (and a year the stores can convert) is checked.
    """
    if now is None and 2000 < value.year < 9999 and value.tzinfo is not None:
        return None  # the common case, on the hot path: no offset can move it out of range or overflow
    offset = value.utcoffset()
    if offset is None:
        return "needs a UTC offset"
    try:
        in_utc = (value.replace(tzinfo=None) - offset).replace(tzinfo=UTC)
    except OverflowError:  # year 1 with a positive offset, year 9999 with a negative one
        return EARLY if value.year == 1 else FUTURE
    if in_utc < EARLIEST_INSTANT:
        return EARLY
    if now is not None and in_utc > now + FUTURE_TOLERANCE:
        return FUTURE
    return None


def before_order_problem(occurred_at: datetime, placed_at: datetime) -> str | None:
    """Why a scan at ``occurred_at`` cannot belong to an order placed at ``placed_at`` (more than a day before)."""
    if occurred_at < placed_at - BEFORE_ORDER_TOLERANCE:
        return f"is more than a day before the order was placed ({placed_at.isoformat()})"
    return None


def promise_problem(promised: date, placed_at: datetime) -> str | None:
    """Why ``promised`` is not a delivery date an order placed at ``placed_at`` can have."""
    placed = placed_at.date()
    if promised < placed:
        return f"must not be before the day the order was placed ({placed.isoformat()})"
    if promised > placed + LONGEST_PROMISE:
        return "must be within a year of the day the order was placed"
    return None


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored and shown as text: NUL, other control characters, lone surrogates."""
    found = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
    if found is None:
        return None
    character = found.group()
    if "\ud800" <= character <= "\udfff":
        return "must not contain unpaired surrogates"
    name = "NUL" if character == "\x00" else f"U+{ord(character):04X}"
    return f"must not contain control characters ({name})"


def without_controls(value: str) -> str:
    """``value`` without the characters ``text_problem`` refuses: for text typed into a form and only looked up."""
    return _CONTROL.sub("", value)


def order_number_problem(value: str) -> str | None:
    """Why ``value`` is not an order number: letters and digits (any script), ``- _ . #`` and inner spaces, first a
    letter or digit.

    Nothing else, so every order number fits in a URL path segment (percent-encoded) and a header, and cannot be
    ``.`` or ``..``.
    """
    if not value:
        return "must not be empty"
    if len(value) > ORDER_NUMBER_MAX:
        return f"must be at most {ORDER_NUMBER_MAX} characters"
    if not value[0].isalnum():
        return "must start with a letter or a digit"
    for character in value:
        # Letters and numbers of any script, and the combining marks many scripts write letters with.
        if not (
            character.isalnum() or character in ORDER_NUMBER_SEPARATORS or unicodedata.category(character)[0] == "M"
        ):
            shown = repr(character) if character.isprintable() else f"U+{ord(character):04X}"
            return f"may hold only letters, digits, spaces and - _ . #; not {shown}"
    return None


def ascii_digits(text: str, *, max_value: int = 2**63 - 1) -> int | None:
    """``text`` as a non-negative integer when it is ASCII digits only and fits a 64-bit id, else None."""
    if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= max_value else None


# ISO 3166-1 alpha-2: the officially assigned codes, and XK (Kosovo), which carriers use.
_COUNTRIES: Final = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO
    FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE
    JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO
    MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM
    TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
"""
COUNTRY_CODES: Final = frozenset(_COUNTRIES.split())


def country_problem(code: str) -> str | None:
    """Why ``code`` (upper case) is not an ISO 3166-1 alpha-2 country code."""
    if code not in COUNTRY_CODES:
        return "must be an ISO 3166-1 alpha-2 country code, e.g. DE"
    return None
