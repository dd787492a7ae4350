"""Template data shared by the tracking page and the verified order view (always the public document)."""

from __future__ import annotations

from typing import Any

from ordertrail.services.tracking.documents import public_tracking
from ordertrail.services.tracking.lookup import TrackingView


def parcel_context(view: TrackingView) -> dict[str, Any]:
    """The public tracking document plus what the templates derive from it (progress, newest-first timeline)."""
    document = public_tracking(view)
    reached = [i for i, m in enumerate(document["milestones"]) if m["reached_at"] is not None]
    document["progress"] = max(reached) if reached else 0
    document["timeline"] = list(reversed(document["events"]))
    document["latest"] = document["timeline"][0] if document["timeline"] else None
    return document
