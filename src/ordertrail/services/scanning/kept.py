"""Scans of numbers no parcel has yet: kept as JSON, replayed through the scan transaction when the parcel appears."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from ordertrail.domain.scanning.events import Location
from ordertrail.domain.scanning.scans import Proof, ScanInput
from ordertrail.domain.scanning.status import CORRECTION, Status


def scan_to_json(scan: ScanInput) -> str:
    """A kept scan, to be replayed if its parcel appears."""
    proof = scan.proof
    document: dict[str, Any] = {
        "event_id": scan.event_id,
        "tracking_number": scan.tracking_number,
        "status": str(scan.status),
        "occurred_at": scan.occurred_at.isoformat(),
        "body_hash": scan.body_hash,
        "substatus": scan.substatus,
        "location": {
            name: getattr(scan.location, name)
            for name in ("facility", "city", "region", "postal_code", "country", "lat", "lon")
        },
        "note": scan.note,
        "reason": scan.reason,
        "voids_event_id": scan.voids_event_id,
        "proof": None
        if proof is None
        else {
            "recipient_name": proof.recipient_name,
            "signature_png": _b64(proof.signature_png),
            "photo_jpeg": _b64(proof.photo_jpeg),
        },
    }
    return json.dumps(document, separators=(",", ":"))


def scan_from_json(text: str) -> ScanInput:
    """The inverse of ``scan_to_json``."""
    document = json.loads(text)
    proof = document["proof"]
    status = document["status"]
    return ScanInput(
        event_id=document["event_id"],
        tracking_number=document["tracking_number"],
        status=CORRECTION if status == CORRECTION else Status(status),
        occurred_at=datetime.fromisoformat(document["occurred_at"]),
        body_hash=document["body_hash"],
        substatus=document["substatus"],
        location=Location(**document["location"]),
        note=document["note"],
        reason=document["reason"],
        voids_event_id=document["voids_event_id"],
        proof=None
        if proof is None
        else Proof(
            recipient_name=proof["recipient_name"],
            signature_png=_unb64(proof["signature_png"]),
            photo_jpeg=_unb64(proof["photo_jpeg"]),
        ),
    )


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)
