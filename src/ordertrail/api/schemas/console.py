"""Request schemas of the console's API: notes on a parcel."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ordertrail.api.schemas.common import Strict


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
