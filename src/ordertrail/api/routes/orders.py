"""Orders: place, read, list (merchant keys see only their merchant's orders), cancel, correct the recipient."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Path, Query
from sqlalchemy import Connection
from starlette.responses import Response

from ordertrail.api.documents.console import CancellationOut, RecipientCorrectionOut
from ordertrail.api.documents.orders import OrderOut, OrderPageOut
from ordertrail.api.idempotency import replayed_headers
from ordertrail.api.json_bodies import JSON_BODY
from ordertrail.api.responses import BODY, KEY, WRITES, errors
from ordertrail.api.schemas.common import Instant, OrderNumberRef, plain
from ordertrail.api.schemas.orders import CancelIn, OrderCreate, RecipientCorrectionIn
from ordertrail.api.views import cancellation_view, order_detail, order_summary
from ordertrail.domain.console.notes import idempotency_key
from ordertrail.domain.errors import MerchantNotFound
from ordertrail.domain.scanning.derivation import derive
from ordertrail.domain.scanning.status import Status
from ordertrail.http.deps import MerchantOrAdminDep, ServicesDep, json_response
from ordertrail.http.staff import ReaderDep
from ordertrail.services.console import cancelling, recipients
from ordertrail.services.console.readers import merchant_named
from ordertrail.services.orders import placing as order_service
from ordertrail.services.orders import reading as order_reading
from ordertrail.services.orders.reading import OrderView
from ordertrail.storage.accounts import merchants as merchant_store

router = APIRouter(prefix="/api/v1", tags=["orders"])

OrderNumberPath = Annotated[OrderNumberRef, Path(description="The order number, percent-encoded")]


def _detail(view: OrderView) -> dict[str, object]:
    return order_detail(view, {p.id: derive(view.events.get(p.id, [])) for p in view.parcels})


@router.post(
    "/orders",
    status_code=201,
    summary="Place an order; each parcel gets a tracking number",
    description=(
        "Merchant and admin keys (an admin key names the order's merchant with `merchant`). Not keyed for retries: "
        "order numbers are unique per merchant, so a retry after a lost answer is a 409 naming `order_number`, and "
        "`GET /api/v1/orders/{order_number}` reads the order that was placed."
    ),
    dependencies=[JSON_BODY],
    response_model=OrderOut,
    response_description="The order as stored, with each parcel's tracking number (Location: the order's URL)",
    responses=errors(
        KEY,
        BODY,
        WRITES,
        404,
        409,
        notes={
            404: "The merchant named (admin keys) does not exist",
            409: "The order number, or a pre-printed tracking number, is taken",
        },
    ),
)
async def create_order(body: OrderCreate, principal: MerchantOrAdminDep, services: ServicesDep) -> Response:
    merchant_id = None
    if body.merchant is not None and principal.is_admin:
        name = body.merchant

        def find(connection: Connection) -> int | None:
            return merchant_store.merchant_id_by_name(connection, name)

        merchant_id = await services.db.read(find)
        if merchant_id is None:
            raise MerchantNotFound(f"No merchant {name!r}.", field="merchant")
    view = await order_service.place_order(services, principal=principal, spec=body.to_spec(), merchant_id=merchant_id)
    return json_response(_detail(view), 201, headers={"Location": order_location(view.order.order_number)})


def order_location(order_number: str) -> str:
    """The order's URL path: the number percent-encoded (UTF-8), so any accepted number fits in a header."""
    return f"/api/v1/orders/{quote(order_number, safe='')}"


@router.get(
    "/orders/{order_number}",
    summary="One order with its parcels and their events",
    description=(
        "Merchant and admin keys. Another merchant's order answers 404, as an unknown one does; percent-encode the "
        "order number in the path (`#` is `%23`)."
    ),
    response_model=OrderOut,
    responses=errors(KEY, 404, 422),
)
async def get_order(order_number: OrderNumberPath, principal: MerchantOrAdminDep, services: ServicesDep) -> Response:
    view = await order_reading.get_order(services, principal=principal, order_number=order_number)
    return json_response(_detail(view))


@router.get(
    "/orders",
    summary="The caller's orders, newest first, cursor-paginated",
    description=(
        "Merchant keys see their own merchant's orders, admin keys every merchant's. Filter by `status`, `q` and "
        "`placed_after`; pass `next_cursor` back as `cursor` until it is null (`limit` 1–200, default 50)."
    ),
    response_model=OrderPageOut,
    responses=errors(KEY, 422),
)
async def list_orders(
    principal: MerchantOrAdminDep,
    services: ServicesDep,
    status: Status | None = None,
    q: Annotated[
        Annotated[str, plain] | None, Query(max_length=100, description="Order number, customer or tracking number")
    ] = None,
    placed_after: Annotated[Instant | None, Query(description="RFC 3339 with an offset, from 2000-01-01")] = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    page = await order_reading.list_orders(
        services,
        principal=principal,
        status=status,
        text=q,
        placed_after=placed_after,
        cursor=cursor,
        limit=limit,
    )
    return json_response(
        {
            "orders": [order_summary(order, parcels) for order, parcels in page.orders],
            "next_cursor": page.next_cursor,
        }
    )


@router.post(
    "/orders/{order_number}/cancel",
    summary="Cancel every parcel of an order, or none if one is dispatched (again: no change); audited",
    description=(
        "Merchant and admin keys, or a staff session allowed to cancel; admin keys name the merchant with "
        "`merchant` when several use the number. Safe to retry: an order cancelled already answers 200 and changes "
        "nothing, and if any parcel is past cancelling it is a 409 and no parcel is cancelled."
    ),
    response_model=CancellationOut,
    responses=errors(
        KEY,
        BODY,
        404,
        409,
        WRITES,
        notes={409: "A parcel is past cancelling (nothing changed), or several merchants use the number"},
    ),
    dependencies=[JSON_BODY],
)
async def cancel_order(
    order_number: OrderNumberPath, body: CancelIn, reader: ReaderDep, services: ServicesDep
) -> Response:
    merchant_id = await merchant_named(services, reader, body.merchant) if body.merchant else None
    done = await cancelling.cancel_order(
        services, reader, order_number=order_number, reason=body.reason, merchant_id=merchant_id
    )
    return json_response(cancellation_view(done))


@router.post(
    "/orders/{order_number}/recipient",
    summary="Correct the recipient's contact or address before delivery: a new version, kept with who and why",
    description=(
        "Merchant and admin keys, or operations, merchant and admin staff (support and viewers get 403). Only the "
        "fields sent change; the order then holds the new version (emails queued afterwards go to the corrected "
        "address) and every version stays on the parcel's detail. Once a parcel of the order is delivered it is a "
        "409 and nothing changes. Values the order has already answer `changed: false` and record nothing; a retry "
        "with the same `Idempotency-Key` answers with the version made first (`Idempotent-Replayed: true`)."
    ),
    response_model=RecipientCorrectionOut,
    responses=errors(
        KEY,
        BODY,
        404,
        409,
        WRITES,
        notes={
            403: "Support and viewer roles, scanner keys, or a session's request without its CSRF token",
            409: "A parcel of the order is delivered (nothing changed), several merchants use the number, or the "
            "Idempotency-Key was used for another request",
        },
    ),
    dependencies=[JSON_BODY],
)
async def correct_order_recipient(
    order_number: OrderNumberPath,
    body: RecipientCorrectionIn,
    reader: ReaderDep,
    services: ServicesDep,
    key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="Send the same key with a retry: it corrects once."),
    ] = None,
) -> Response:
    merchant_id = await merchant_named(services, reader, body.merchant) if body.merchant else None
    done = await recipients.correct_recipient(
        services,
        reader,
        order_number=order_number,
        given=body.given(),
        reason=body.reason,
        merchant_id=merchant_id,
        idempotency_key=idempotency_key(key),
    )
    headers = replayed_headers(done.replayed)
    return json_response(done.document(), headers=headers)
