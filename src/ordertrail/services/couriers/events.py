"""Courier events recorded on the parcels' timelines through the scan transaction (``record_scans_tx``).

Each event is matched by (courier, courier's number) to the parcel handed over under it, mapped to ordertrail's
vocabulary (``domain/couriers/mapping.py``) and recorded as a scan in the same transaction, so late, duplicate and
out-of-order courier events follow exactly the rules scans follow. Events no handover matches are kept whole and
recorded when a handover names their number (``attach_kept``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Connection
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from ordertrail.domain.couriers.events import CourierEvent, to_scan
from ordertrail.domain.couriers.mapping import MappingRegistry, StatusMapping, load_registry
from ordertrail.domain.couriers.signatures import SIGNED
from ordertrail.domain.errors import FieldProblem, Unauthenticated
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.scans import Outcome, ScanInput
from ordertrail.services.context import Services
from ordertrail.services.couriers.kept import event_from_json, event_to_json
from ordertrail.services.couriers.reconciliation import note_courier_events
from ordertrail.services.estimating.runtime import EstimateRuntime
from ordertrail.services.scanning.record import record_scans_tx
from ordertrail.storage.couriers import events as event_store
from ordertrail.storage.couriers import handovers as handover_store
from ordertrail.storage.couriers import integrations as integration_store
from ordertrail.storage.couriers import overrides as override_store
from ordertrail.storage.couriers.events import ReceivedEvent
from ordertrail.storage.couriers.integrations import Integration

_REFUSALS: Final = {
    "generic": "The request is not signed by a known courier integration (Standard Webhooks).",
    "karrio": "The request is not signed by a known Karrio integration (X-Karrio-Signature).",
    "easypost": "The request is not signed by a known EasyPost integration (X-Hmac-Signature).",
    "aftership": "The request is not signed by a known AfterShip integration (aftership-hmac-sha256).",
}

# The mappings shipped in the package, read (and checked) once per process.
shipped_registry = functools.cache(load_registry)


@dataclass(frozen=True, slots=True)
class CourierResult:
    """What happened to one courier event."""

    event: CourierEvent
    outcome: Outcome
    mapped: bool
    sequence: int | None = None
    problems: tuple[FieldProblem, ...] = ()


async def verified_integration(
    services: Services, *, integration_id: int, body: bytes, headers: Mapping[str, str], source: str = "generic"
) -> Integration:
    """The integration of ``source`` whose secret signed ``body``; raises Unauthenticated otherwise.

    Generic integrations are signed with Standard Webhooks, aggregators' with their own schemes
    (``domain/couriers/signatures.py``). An unknown integration, one of another source and a bad signature get the
    same answer: the refusal tells nothing about which exist.
    """
    integration = await services.db.read(lambda c: integration_store.active_integration(c, integration_id))
    refused = Unauthenticated(_REFUSALS[source])
    if integration is None or integration.source != source:
        raise refused
    if source != "generic":
        if not SIGNED[source](integration.secret, body, headers):
            raise refused
        return integration
    try:
        Webhook(integration.secret).verify(body, dict(headers))
    except WebhookVerificationError as error:
        raise refused from error
    return integration


def record_courier_events_tx(
    connection: Connection,
    integration: Integration,
    events: Sequence[CourierEvent],
    *,
    registry: MappingRegistry,
    now: datetime,
    estimates: EstimateRuntime | None,
) -> tuple[list[CourierResult], list[ParcelChange]]:
    """Record courier events in the caller's transaction; one result per event, in order."""
    handed = handover_store.handed_parcels(connection, [(e.courier, e.tracking_number) for e in events])
    # Kept events are looked up for the unmatched only; a matched event's resend is found as its scan's.
    unmatched = [e.event_id for e in events if (e.courier, e.tracking_number) not in handed]
    known = event_store.known_courier_events(connection, unmatched)
    # The merchants' own meanings of codes (console overrides) win over the shipped files for their parcels.
    overrides = override_store.overrides_of(connection, [p.merchant_id for p in handed.values()])
    results: list[CourierResult | None] = [None] * len(events)
    kept: list[ReceivedEvent] = []
    kept_hashes: dict[str, str] = {}
    scans: list[tuple[ScanInput, int | None]] = []
    places: list[int] = []
    mappings: list[StatusMapping] = []
    for index, event in enumerate(events):
        parcel = handed.get((event.courier, event.tracking_number))
        merchant_overrides = overrides.get(parcel.merchant_id) if parcel is not None else None
        mapping = registry.resolve(event.speaks, event.code, merchant_overrides, courier=event.courier)
        mappings.append(mapping)
        if parcel is not None:
            scans.append((to_scan(event, mapping, parcel_number=parcel.tracking_number), None))
            places.append(index)
            continue
        # Unmatched: kept by (courier, number), answered like an unmatched scan (a resend is unmatched again).
        stored = known.get(event.event_id)
        earlier = stored.body_hash if stored is not None else kept_hashes.get(event.event_id)
        if earlier is None:
            kept_hashes[event.event_id] = event.body_hash
            kept.append(_row(event, integration, mapping.mapped, parcel_id=None))
        outcome = Outcome.UNMATCHED if earlier in (None, event.body_hash) else Outcome.CONFLICT
        results[index] = CourierResult(event, outcome, mapping.mapped)
    recorded, changes = record_scans_tx(connection, scans, now=now, estimates=estimates)
    accepted: list[tuple[int, datetime]] = []
    for index, result in zip(places, recorded, strict=True):
        event, mapping = events[index], mappings[index]
        parcel = handed[(event.courier, event.tracking_number)]
        if result.outcome is Outcome.CREATED:
            kept.append(_row(event, integration, mapping.mapped, parcel_id=parcel.id))
            accepted.append((parcel.id, event.occurred_at))
        sequence = result.event.sequence if result.event is not None else None
        results[index] = CourierResult(event, result.outcome, mapping.mapped, sequence, result.problems)
    event_store.insert_courier_events(connection, kept, at=now)
    note_courier_events(connection, accepted, now=now)
    return [r for r in results if r is not None], changes


def attach_kept(
    connection: Connection,
    parcel: Parcel,
    *,
    courier: str,
    tracking_number: str,
    registry: MappingRegistry,
    now: datetime,
    estimates: EstimateRuntime | None,
) -> list[ParcelChange]:
    """Record the kept events of (courier, number) on the parcel just handed over under it (caller's transaction)."""
    kept = event_store.unmatched_payloads(connection, courier, tracking_number)
    if not kept:
        return []
    events = [event_from_json(payload) for _, payload in kept]
    overrides = override_store.overrides_of(connection, [parcel.merchant_id]).get(parcel.merchant_id)
    mappings = [registry.resolve(e.speaks, e.code, overrides, courier=e.courier) for e in events]
    scans = [(to_scan(e, m, parcel_number=parcel.tracking_number), None) for e, m in zip(events, mappings, strict=True)]
    recorded, changes = record_scans_tx(connection, scans, now=now, estimates=estimates)
    # Only what was recorded is attached; an event the scan rules refuse stays kept (and listed) as it came.
    attached = [r.event_id for r in recorded if r.outcome in (Outcome.CREATED, Outcome.DUPLICATE)]
    event_store.mark_attached(connection, attached, parcel_id=parcel.id, at=now)
    created = {r.event_id for r in recorded if r.outcome is Outcome.CREATED}
    note_courier_events(connection, [(parcel.id, e.occurred_at) for e in events if e.event_id in created], now=now)
    # Kept before any merchant was known, an event's mapped flag said what the shipped files knew: now the
    # merchant's overrides decide it.
    for result, mapping in zip(recorded, mappings, strict=True):
        if result.event_id in attached and mapping.mapped:
            event_store.mark_remapped(connection, result.event_id, recorded_event_id=result.event_id, mapped=True)
    return changes


def _row(event: CourierEvent, integration: Integration, mapped: bool, *, parcel_id: int | None) -> ReceivedEvent:
    return ReceivedEvent(
        event_id=event.event_id,
        integration_id=integration.id,
        courier=event.courier,
        courier_tracking_number=event.tracking_number,
        courier_event_id=event.courier_event_id,
        code=event.code,
        mapped=mapped,
        body_hash=event.body_hash,
        payload=event_to_json(event),
        parcel_id=parcel_id,
    )


async def record_courier_events(
    services: Services, integration: Integration, events: Sequence[CourierEvent], *, registry: MappingRegistry
) -> list[CourierResult]:
    """Record a verified integration's events in one transaction, then publish the changes live."""

    def transaction(connection: Connection) -> tuple[list[CourierResult], list[ParcelChange]]:
        return record_courier_events_tx(
            connection, integration, events, registry=registry, now=services.clock(), estimates=services.estimates
        )

    results, changes = await services.db.write(transaction)
    await services.committed(changes)
    return results
