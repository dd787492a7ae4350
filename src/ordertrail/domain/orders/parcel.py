"""A parcel as the rest of the program sees it: what it is, the facts of its order it needs, and its state.

One type for every reader: the scan transaction, order placement, the estimate update and sweep, tracking
pages, labels and lists. Its status projection is a ``ParcelState`` and its estimate state an ``EstimateState``;
storage maps rows to and from these and nothing above storage sees a row.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from ordertrail.domain.estimating.lanes import lane_destination
from ordertrail.domain.estimating.state import EstimateState
from ordertrail.domain.scanning.parcel import ParcelState


class Parcel(NamedTuple):
    """A parcel with its order's facts, its status projection and its estimate state.

    A named tuple: the scan transaction reads one per scanned parcel. ``estimate`` is None only where a reader
    did not ask for it.
    """

    id: int
    order_id: int
    tracking_number: str
    position: int
    parcel_count: int
    reference: str | None
    weight_grams: int | None
    merchant_id: int
    order_number: str
    destination_city: str
    destination_region: str | None
    destination_postal_code: str
    destination_country: str
    promised_delivery_date: date | None
    placed_at: datetime  # its order's: a scan may not be dated more than a day before it
    state: ParcelState
    estimate: EstimateState | None = None

    def lane_destination(self) -> tuple[str, str]:
        """The destination part of its lane (country, area): as saved with its estimate, else from the address."""
        saved = self.estimate
        return lane_destination(
            saved.country if saved else None,
            saved.area if saved else None,
            self.destination_country,
            self.destination_postal_code,
        )
