"""Request schemas of the console's API: notes on a parcel."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ordertrail.api.schemas.common import Instant, Strict
from ordertrail.domain.scanning.status import Status


class NoteIn(Strict):
    # Checked by the domain rule (domain/console/notes.py: trimmed, not empty, no control characters), the same
    # as the console's form; the bound here only keeps an oversized body from being read into a model.
    message: str = Field(max_length=20_000, description="The note, up to 4000 characters; line breaks are kept.")


class HandledIn(Strict):
    # Checked by the domain rule (domain/console/handling.py), the same as the console's form; the bound only keeps
    # an oversized body from being read into a model.
    what_was_done: str = Field(
        max_length=20_000, description="What was done about the exception, up to 1000 characters; line breaks kept."
    )


class ResendIn(Strict):
    channel: Literal["email", "webhook"] = Field(
        description="email: the newest email about the parcel; webhook: every webhook about it, in order "
        "(to endpoints still enabled)."
    )
    message_id: str | None = Field(
        default=None, max_length=40, description="Resend only this one (a message_id from the parcel's timeline)."
    )


class VoidScanIn(Strict):
    # Checked by the domain rule (domain/console/scan_fixes.py), the same as the console's form.
    reason: str = Field(max_length=20_000, description="Why the scan is wrong, up to 500 characters (required).")


class ManualScanIn(Strict):
    status: Status = Field(description="The scan's status (order_placed is recorded when an order is placed).")
    reason: str | None = Field(
        None, max_length=64, description="The reason code, where the status needs one (exceptions, failed attempts)."
    )
    facility: str | None = Field(None, max_length=20_000, description="Where it happened, up to 200 characters.")
    occurred_at: Instant = Field(description="When it happened; RFC 3339 with an offset, not in the future.")
    note: str = Field(
        max_length=20_000, description="Why it is recorded by hand, up to 500 characters (required; never public)."
    )
