"""Messages from the shop: what staff tell a customer about a parcel in their own words (a delay, a problem, a
question). Emailed to the customer and shown on the tracking page, signed with the shop's name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ordertrail.domain import inputs

MESSAGE_MAX = 1000  # characters: a few short paragraphs, what an email and a tracking page can show whole


@dataclass(frozen=True, slots=True)
class ShopMessage:
    parcel_id: int
    text: str
    sent_by: str  # who wrote it (private: the public page names only the shop)
    created_at: datetime


def message_problem(text: str) -> str | None:
    """Why ``text`` cannot be sent to a customer (None when it can)."""
    if not text.strip():
        return "write the message: it is empty"
    if len(text) > MESSAGE_MAX:
        return f"at most {MESSAGE_MAX} characters (this one has {len(text)})"
    return inputs.text_problem(text, multiline=True)
