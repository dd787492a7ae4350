"""A timeline entry as the detail page shows it: a title, a line or two of what happened, and its marks (late,
voided, manual, failed), from the same documents the API answers with."""

from __future__ import annotations

from typing import Any

from ordertrail.domain.scanning.status import STATUS_LABELS

KIND_LABELS = {
    "scan": "Scan",
    "estimate": "Estimate",
    "email": "Email",
    "webhook": "Webhook",
    "action": "Staff action",
    "note": "Note",
}
STATE_LABELS = {"pending": "Pending", "delivered": "Delivered", "dead": "Given up", "skipped": "Not sent"}


def short_time(iso: str) -> str:
    """``2026-12-03 10:15 +01:00``: minutes are enough to read, and scans keep the offset of where they happened."""
    return f"{iso[:10]} {iso[11:16]} {iso[-6:] if iso[-6] in '+-' else 'UTC'}".replace("+00:00", "UTC")


def row(document: dict[str, Any]) -> dict[str, Any]:
    kind = document["kind"]
    view: dict[str, Any] = {
        "kind": kind,
        "kind_label": KIND_LABELS[kind],
        "at": document["at"],
        "at_text": short_time(document["at"]),
        "marks": [],
        "lines": [],
        "attempts": [],
    }
    if kind == "scan":
        _scan(document, view)
    elif kind == "estimate":
        view["title"] = f"Arriving {document['earliest']} to {document['latest']}"
        view["lines"].append(f"Reason: {document['reason'].replace('_', ' ')}; basis: {document['basis']}")
        if document["delayed"]:
            view["marks"].append("Delayed")
    elif kind in ("email", "webhook"):
        _message(document, view)
    elif kind == "action":
        view["title"] = document["action"]
        view["lines"].append(f"By {document['actor']['name']}")
    else:
        view["title"] = f"Note by {document['author']['name']}"
        view["message"] = document["message"]
    return view


def _scan(document: dict[str, Any], view: dict[str, Any]) -> None:
    status = document["status"]
    view["title"] = "Correction" if status == "correction" else STATUS_LABELS.get(status, status)
    where = ", ".join(v for v in (document["location"]["facility"], document["location"]["city"]) if v)
    if where:
        view["lines"].append(where)
    if document["reason"]:
        view["lines"].append(f"Reason: {document['reason'].replace('_', ' ')}")
    if document["voids_event_id"]:
        view["lines"].append(f"Voids event {document['voids_event_id']}")
    if document.get("courier"):
        view["lines"].append(f"From the courier ({document['courier']})")
    if document.get("before_dispatch"):
        view["marks"].append("Before dispatch")
        view["lines"].append("Dated before the dispatch scan: check the courier's clock, or the parcel")
    if document["late"]:
        view["marks"].append("Late")
        view["lines"].append(f"Arrived {short_time(document['recorded_at'])}, after later scans")
    if document["voided"]:
        view["marks"].append("Voided")
    if document.get("manual"):
        view["marks"].append("Manual")
        view["lines"].append("Recorded by hand, not by a device")
    # A scan that can still be voided gets its own form on the page (a correction voids, it is not voided).
    view["event_id"] = document["event_id"]
    view["voidable"] = not document["voided"] and status not in ("correction", "order_placed")


def _message(document: dict[str, Any], view: dict[str, Any]) -> None:
    view["title"] = document["event_type"]
    view["marks"].append(STATE_LABELS.get(document["state"], document["state"]))
    if document["recipient"]:
        view["lines"].append(f"To {document['recipient']}")
    if document["endpoint_id"] is not None:
        view["lines"].append(f"Endpoint {document['endpoint_id']}")
    if document["last_error"] and document["state"] != "delivered":
        view["lines"].append(document["last_error"])
    view["attempts"] = [
        {
            "at_text": short_time(a["attempted_at"]),
            "outcome": ("HTTP " + str(a["status_code"]) if a["status_code"] is not None else "")
            or ("sent" if a["succeeded"] else a["error"] or "failed"),
            "duration_ms": a["duration_ms"],
            "succeeded": a["succeeded"],
        }
        for a in document["attempts"]
    ]
