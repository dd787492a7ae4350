"""The console's view of webhook endpoints: each endpoint of some merchants with its newest delivery attempt.

Endpoints are few per merchant; the newest attempt of each is one probe of ``ix_delivery_attempt_endpoint_id_id``
(a correlated subquery per endpoint), so the overview's count does not grow with the delivery log."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from ordertrail.domain.console.endpoints import EndpointHealth
from ordertrail.storage.tables import delivery_attempt, webhook_endpoint

_NEWEST = (
    select(func.max(delivery_attempt.c.id))
    .where(delivery_attempt.c.endpoint_id == webhook_endpoint.c.id)
    .correlate(webhook_endpoint)
    .scalar_subquery()
)


def endpoint_health(connection: Connection, merchant_ids: frozenset[int] | None) -> list[EndpointHealth]:
    """Every endpoint (not deleted) of ``merchant_ids`` (None: every merchant), oldest first, with its newest
    attempt."""
    if merchant_ids is not None and not merchant_ids:
        return []
    query = (
        select(
            webhook_endpoint.c.id,
            webhook_endpoint.c.merchant_id,
            webhook_endpoint.c.url,
            webhook_endpoint.c.description,
            webhook_endpoint.c.disabled_at,
            webhook_endpoint.c.disabled_reason,
            delivery_attempt.c.attempted_at,
            delivery_attempt.c.status_code,
            delivery_attempt.c.error,
            delivery_attempt.c.succeeded,
        )
        .select_from(webhook_endpoint.outerjoin(delivery_attempt, delivery_attempt.c.id == _NEWEST))
        .where(webhook_endpoint.c.deleted_at.is_(None))
        .order_by(webhook_endpoint.c.id)
    )
    if merchant_ids is not None:
        query = query.where(webhook_endpoint.c.merchant_id.in_(sorted(merchant_ids)))
    return [
        EndpointHealth(
            id=r.id,
            merchant_id=r.merchant_id,
            url=r.url,
            description=r.description,
            disabled_at=r.disabled_at,
            disabled_reason=r.disabled_reason,
            last_attempt_at=r.attempted_at,
            last_status_code=r.status_code,
            last_error=r.error,
            last_succeeded=None if r.succeeded is None else bool(r.succeeded),
        )
        for r in connection.execute(query)
    ]
