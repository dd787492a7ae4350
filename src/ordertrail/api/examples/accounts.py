"""Example answers of the merchant and key routes, for the document's responses (the story of
api/examples/common.py: Northwind, its keys and its logo)."""

from __future__ import annotations

from typing import Any

MERCHANT_KEY: dict[str, Any] = {
    "id": 3,
    "name": "shop backend",
    "display_prefix": "ot_merchant_Q2xv9T",
    "created_at": "2026-11-26T08:25:00+00:00",
    "revoked_at": None,
    "key": "ot_merchant_Q2xv9TzP0bY4mHc8sWkR1eLgN5uJ7aVdX3fKiOq6",
}

MERCHANT_WITH_LOGO: dict[str, Any] = {
    "id": 1,
    "name": "Northwind",
    "display_name": "Northwind Outdoor",
    "shown_name": "Northwind Outdoor",
    "support_email": "help@northwind.example",
    "support_url": "https://northwind.example/help",
    "logo": {
        "url": "https://track.example.com/merchant-logos/1/"
        "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592.png",
        "media_type": "image/png",
        "width": 240,
        "height": 80,
        "size": 6120,
        "sha256": "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592",
    },
}

INVALID_LOGO: dict[str, Any] = {
    "type": "urn:ordertrail:error:invalid-input",
    "title": "Invalid input",
    "status": 422,
    "detail": "A logo is a PNG or JPEG image (not SVG, GIF or another format).",
    "errors": [{"field": "logo", "reason": "A logo is a PNG or JPEG image (not SVG, GIF or another format)."}],
}

KEY: dict[str, Any] = {"key_id": 2, "role": "scanner", "name": "dock 3", "facility": "Leeds DC"}
