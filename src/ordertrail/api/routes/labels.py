"""Shipping labels as PDF: one parcel, one order, or many orders at once (merchant and admin keys)."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from pydantic import Field
from starlette.responses import Response

from ordertrail.api.json_bodies import JSON_BODY
from ordertrail.api.responses import BODY, KEY, errors
from ordertrail.api.schemas.common import OrderNumberRef, ShortText, Strict, plain
from ordertrail.http.deps import MerchantOrAdminDep, ServicesDep, SettingsDep
from ordertrail.labels import LabelData, Layout
from ordertrail.services.orders import labels as label_service

router = APIRouter(prefix="/api/v1", tags=["orders"])

_PDF: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "description": "The labels, one page per parcel",
    }
}
_NOT_YOURS = "Unknown, malformed or another merchant's number (the same answer)"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

LayoutQuery = Annotated[Layout, Query(description="4x6 (inches) or a6 (105×148 mm)")]
MerchantQuery = Annotated[
    Annotated[str, plain] | None,
    Query(max_length=100, description="Admin keys: the merchant, when several have that order number."),
]


class LabelsBulkIn(Strict):
    """Labels for every parcel of many orders, in one PDF."""

    order_numbers: list[OrderNumberRef] = Field(min_length=1, max_length=label_service.MAX_BULK_ORDERS)
    layout: Layout = Layout.FOUR_BY_SIX
    merchant: ShortText | None = Field(None, description="Admin keys: only this merchant's orders.")


async def _pdf(labels: list[LabelData], layout: Layout, filename: str) -> Response:
    body = await label_service.render(labels, layout)
    # A name in another script keeps an ASCII fallback for old clients and travels as RFC 8187 filename*.
    safe = _UNSAFE.sub("_", filename)
    disposition = f'inline; filename="{safe}"'
    if safe != filename:
        disposition += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return Response(body, media_type="application/pdf", headers={"Content-Disposition": disposition})


@router.get(
    "/parcels/{tracking_number}/label.pdf",
    summary="One parcel's shipping label",
    description=(
        "Merchant and admin keys; another merchant's parcel answers 404. `layout` picks 4x6 inches (the default) or"
        " A6; the PDF comes inline with a file name in `Content-Disposition`."
    ),
    response_class=Response,
    responses={**_PDF, **errors(KEY, 404, 422, notes={404: _NOT_YOURS})},
)
async def get_parcel_label(
    tracking_number: str,
    principal: MerchantOrAdminDep,
    services: ServicesDep,
    settings: SettingsDep,
    layout: LayoutQuery = Layout.FOUR_BY_SIX,
) -> Response:
    label = await label_service.parcel_label(
        services, principal=principal, tracking_number=tracking_number, public_base_url=settings.public_base_url
    )
    return await _pdf([label], layout, f"label-{label.tracking_number}.pdf")


@router.get(
    "/orders/{order_number}/labels.pdf",
    summary="The shipping labels of every parcel of an order",
    description=(
        "Merchant and admin keys (admin keys name `merchant` when several merchants use the number); another "
        "merchant's order answers 404. `layout` picks 4x6 inches (the default) or A6."
    ),
    response_class=Response,
    responses={**_PDF, **errors(KEY, 404, 422)},
)
async def get_order_labels(
    order_number: Annotated[OrderNumberRef, Path(description="The order number, percent-encoded")],
    principal: MerchantOrAdminDep,
    services: ServicesDep,
    settings: SettingsDep,
    layout: LayoutQuery = Layout.FOUR_BY_SIX,
    merchant: MerchantQuery = None,
) -> Response:
    labels = await label_service.order_labels(
        services,
        principal=principal,
        order_numbers=[order_number],
        public_base_url=settings.public_base_url,
        merchant=merchant,
    )
    return await _pdf(labels, layout, f"labels-{order_number}.pdf")


@router.post(
    "/labels.pdf",
    summary="The shipping labels of many orders in one PDF (at most 500 orders)",
    description=(
        "Merchant and admin keys. If any order number is unknown (or another merchant's) the answer is a 404 whose "
        "problem names them, and no PDF is made; a retry simply renders again."
    ),
    response_class=Response,
    responses={**_PDF, **errors(KEY, BODY, 404, notes={404: "Some order numbers are unknown; the problem names them"})},
    dependencies=[JSON_BODY],
)
async def get_bulk_labels(
    body: LabelsBulkIn, principal: MerchantOrAdminDep, services: ServicesDep, settings: SettingsDep
) -> Response:
    labels = await label_service.order_labels(
        services,
        principal=principal,
        order_numbers=body.order_numbers,
        public_base_url=settings.public_base_url,
        merchant=body.merchant,
    )
    return await _pdf(labels, body.layout, "labels.pdf")
