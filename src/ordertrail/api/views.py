"""JSON views of domain objects: private (merchant, admin, scanner) and public (no personal data)."""

from __future__ import annotations

import base64
from typing import Any

from ordertrail.domain.orders.order import Order
from ordertrail.domain.orders.parcel import Parcel
from ordertrail.domain.scanning.derivation import Derivation
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.scans import Proof
from ordertrail.domain.scanning.status import label
from ordertrail.services.console.cancelling import CancelledParcel
from ordertrail.services.orders.reading import OrderView
from ordertrail.services.scanning.record import ScanResult
from ordertrail.services.tracking.documents import public_event, public_tracking


def private_event(event: ScanEvent, *, late: bool, effect: str | None, proof: Proof | None = None) -> dict[str, Any]:
    where = event.location
    document: dict[str, Any] = {
        "event_id": event.event_id,
        "sequence": event.sequence,
        "status": event.status,
        "status_label": label(event.status),
        "substatus": event.substatus,
        "occurred_at": event.occurred_at.isoformat(),
        "recorded_at": event.recorded_at.isoformat(),
        "location": {
            "facility": where.facility,
            "city": where.city,
            "region": where.region,
            "postal_code": where.postal_code,
            "country": where.country,
            "lat": where.lat,
            "lon": where.lon,
        },
        "note": event.note,
        "reason": event.reason,
        "voids_event_id": event.voids_event_id,
        "late": late,
        "effect": effect,
    }
    if proof is not None:
        document["proof"] = {
            "recipient_name": proof.recipient_name,
            "signature_png_base64": _b64(proof.signature_png),
            "photo_jpeg_base64": _b64(proof.photo_jpeg),
        }
    return document


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def parcel_summary(parcel: Parcel) -> dict[str, Any]:
    """What a scanner shows after a scan: status and enough to put the parcel on the right shelf."""
    return {
        "tracking_number": parcel.tracking_number,
        "status": parcel.state.status.value,
        "status_label": label(parcel.state.status),
        "substatus": parcel.state.substatus,
        "status_version": parcel.state.status_version,
        "status_changed_at": parcel.state.status_changed_at.isoformat(),
        "last_sequence": parcel.state.last_sequence,
        "order_number": parcel.order_number,
        "position": parcel.position,
        "parcel_count": parcel.parcel_count,
        "destination": {"city": parcel.destination_city, "country": parcel.destination_country},
    }


def scan_result(result: ScanResult, *, with_event: bool = True) -> dict[str, Any]:
    """The answer to one scan: the whole body of a single scan, or one item of a batch (``with_event=False``:
    the stored event is left out, since the device sent it; its sequence, effect and late flag stay)."""
    document: dict[str, Any] = {"event_id": result.event_id, "outcome": result.outcome.value}
    if result.event is not None:
        effect = None if result.effect is None else result.effect.value
        document["sequence"] = result.event.sequence
        document["effect"] = effect
        document["late"] = result.late
        if with_event:
            document["event"] = private_event(result.event, late=result.late, effect=effect)
    if result.previous_status is not None:
        document["previous"] = {
            "status": result.previous_status,
            "status_label": label(result.previous_status),
            "since": result.previous_status_at.isoformat() if result.previous_status_at else None,
        }
    if result.parcel is not None:
        document["parcel"] = parcel_summary(result.parcel)
    if result.problems:
        document["error"] = "; ".join(f"{p.field} {p.reason}" for p in result.problems)
        document["errors"] = [{"field": p.field, "reason": p.reason} for p in result.problems]
    return document


def order_summary(order: Order, parcels: tuple[Parcel, ...]) -> dict[str, Any]:
    return {
        "order_number": order.order_number,
        "placed_at": order.placed_at.isoformat(),
        "customer": {
            "name": order.customer.name,
            "email": order.customer.email,
            "phone": order.customer.phone,
        },
        "destination": {
            "line1": order.destination.line1,
            "line2": order.destination.line2,
            "city": order.destination.city,
            "region": order.destination.region,
            "postal_code": order.destination.postal_code,
            "country": order.destination.country,
        },
        "promised_delivery_date": order.promised_delivery_date.isoformat() if order.promised_delivery_date else None,
        "parcels": [
            {
                "tracking_number": p.tracking_number,
                "position": p.position,
                "reference": p.reference,
                "weight_grams": p.weight_grams,
                "status": p.state.status.value,
                "status_label": label(p.state.status),
                "substatus": p.state.substatus,
                "status_version": p.state.status_version,
                "last_event_at": p.state.last_event_at.isoformat(),
            }
            for p in parcels
        ],
    }


def order_detail(view: OrderView, derivations: dict[int, Derivation]) -> dict[str, Any]:
    """An order with every parcel's full timeline (private: includes notes, facilities and proof)."""
    document = order_summary(view.order, view.parcels)
    document["merchant"] = view.merchant_name
    for parcel_doc, parcel in zip(document["parcels"], view.parcels, strict=True):
        derivation = derivations[parcel.id]
        parcel_doc["tracking_url_path"] = f"/t/{parcel.tracking_number}"
        parcel_doc["events"] = [
            private_event(
                entry.event,
                late=entry.late,
                effect=entry.effect.value,
                proof=view.proofs.get(entry.event.event_id),
            )
            for entry in derivation.timeline
        ]
    return document


__all__ = [
    "order_detail",
    "order_summary",
    "parcel_summary",
    "private_event",
    "public_event",
    "public_tracking",
    "scan_result",
]


def cancellation_view(done: list[CancelledParcel]) -> dict[str, object]:
    return {
        "parcels": [
            {
                "tracking_number": d.tracking_number,
                "order_number": d.order_number,
                "status": d.status,
                "changed": d.changed,
            }
            for d in done
        ]
    }
