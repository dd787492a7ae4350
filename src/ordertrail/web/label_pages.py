"""The bulk label form (/labels): staff sign in with a merchant or admin key and print many orders' labels.

The page is static; its script keeps the key on the device and posts to ``POST /api/v1/labels.pdf``.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ordertrail.labels import Layout
from ordertrail.services.orders.labels import MAX_BULK_ORDERS
from ordertrail.web.deps import render

router = APIRouter(include_in_schema=False)

# What the form offers, in the order shown: the API's layout value and the words on the page.
LAYOUTS = (
    (Layout.FOUR_BY_SIX.value, "4 × 6 in", "102 × 152 mm"),
    (Layout.A6.value, "A6", "105 × 148 mm"),
)
# The API's limit on one order number (ShortText), checked in the browser before sending.
MAX_ORDER_NUMBER_LENGTH = 100


@router.get("/labels")
async def labels_page() -> Response:
    return render(
        "labels.html",
        {"layouts": LAYOUTS, "max_orders": MAX_BULK_ORDERS, "max_length": MAX_ORDER_NUMBER_LENGTH},
        headers={"Cache-Control": "no-cache"},
    )
