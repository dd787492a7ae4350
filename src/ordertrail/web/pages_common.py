"""Template data shared by the tracking page and the verified order view (always the public document)."""

from __future__ import annotations

from typing import Any

from ordertrail.domain.accounts.merchant_settings import MerchantSettings
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


# Logos are shown at this height (CSS ``.shop-logo``); the width follows from the image's own proportions.
LOGO_HEIGHT = 48


def shop_context(shop: MerchantSettings | None) -> dict[str, Any] | None:
    """The shop as a customer page shows it: its name, its logo (at a fixed height, with the width that keeps its
    proportions, so the page reserves the space before the image arrives) and its support contact. Nothing else
    of the merchant reaches a page."""
    if shop is None:
        return None
    logo = shop.logo
    return {
        "name": shop.shown_name,
        "logo": None
        if logo is None
        else {"url": logo.path, "height": LOGO_HEIGHT, "width": max(1, round(logo.width * LOGO_HEIGHT / logo.height))},
        "support_email": shop.support_email,
        "support_url": shop.support_url,
    }
