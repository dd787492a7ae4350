"""Labels to print: the parcels whose label nobody has printed yet, and the record of each print.

A parcel's label is "printed" once it has a ``label_print`` row; printing it again is a reprint, recorded the same
way and marked as such. "Today" is the UTC day: a merchant has no time zone of its own yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any, Final

from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.scanning.status import Status

MAX_PRINT: Final = 500
# Still at the packing bench: until it is dispatched a parcel may need its label, whenever it was placed.
BEFORE_DISPATCH: Final = frozenset({Status.ORDER_PLACED, Status.PROCESSING, Status.PACKED})


@dataclass(frozen=True, slots=True)
class LabelRow:
    """A parcel on the labels page: to print, or printed today (then who printed it last, and when)."""

    tracking_number: str
    order_number: str
    merchant: str
    position: int
    parcel_count: int
    placed_at: datetime
    status: str
    printed_at: datetime | None = None
    printed_by: str | None = None
    prints: int = 0

    def document(self) -> dict[str, Any]:
        return {
            "tracking_number": self.tracking_number,
            "order_number": self.order_number,
            "merchant": self.merchant,
            "position": self.position,
            "parcel_count": self.parcel_count,
            "placed_at": self.placed_at.isoformat(),
            "status": self.status,
        }


def day_start(now: datetime) -> datetime:
    """The start of ``now``'s UTC day."""
    return datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)


def wanted_numbers(numbers: Sequence[str]) -> list[str]:
    """The numbers once each, in the order given. Raises InvalidInput naming ``tracking_numbers``."""
    wanted = list(dict.fromkeys(numbers))
    if not wanted:
        raise InvalidInput("Choose at least one parcel.", field="tracking_numbers")
    if len(wanted) > MAX_PRINT:
        raise InvalidInput(f"At most {MAX_PRINT} labels at once ({len(wanted)} given).", field="tracking_numbers")
    return wanted
