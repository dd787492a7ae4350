"""What a label shows, and the label sizes we print."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from ordertrail.domain.orders.order import Address
from ordertrail.postal import LineKind, address_lines

_POINTS_PER_INCH = 72.0
_POINTS_PER_MM = 72.0 / 25.4


class Layout(StrEnum):
    """A label stock: 4×6 in (the common US/thermal size) or A6 (105×148 mm, the common European one)."""

    FOUR_BY_SIX = "4x6"
    A6 = "a6"

    @property
    def page_size(self) -> tuple[float, float]:
        """Width and height in PDF points."""
        if self is Layout.FOUR_BY_SIX:
            return 4 * _POINTS_PER_INCH, 6 * _POINTS_PER_INCH
        return 105 * _POINTS_PER_MM, 148 * _POINTS_PER_MM


@dataclass(frozen=True, slots=True)
class LabelData:
    """Everything printed on one parcel's label."""

    tracking_number: str  # canonical form, encoded in the barcode as is
    tracking_url: str  # the public tracking page, encoded in the QR code
    sender: str  # the merchant's name
    recipient: str
    destination: Address
    order_number: str
    parcel_position: int  # 1-based
    parcel_count: int
    weight_grams: int | None = None
    reference: str | None = None  # the merchant's own parcel reference, printed small
    return_address: Address | None = None  # where an undeliverable parcel goes back to

    @property
    def return_lines(self) -> list[str]:
        """The return address's lines (in its country's order, without the sender's name), or none."""
        if self.return_address is None:
            return []
        return [line.text for line in address_lines(self.return_address) if line.kind is not LineKind.RECIPIENT]

    @property
    def parcel_line(self) -> str:
        return f"Parcel {self.parcel_position} of {self.parcel_count}"

    @property
    def weight_text(self) -> str | None:
        """Kilograms with one decimal, rounded half up, never shown as 0.0 kg."""
        if self.weight_grams is None:
            return None
        kilograms = (Decimal(self.weight_grams) / 1000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return f"{max(kilograms, Decimal('0.1'))} kg"


def tracking_page_url(public_base_url: str, tracking_number: str) -> str:
    """The public tracking page of a parcel, as printed in the QR code."""
    return f"{public_base_url.rstrip('/')}/t/{tracking_number}"
