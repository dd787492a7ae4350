"""Request schemas of the console's API: notes on a parcel."""

from __future__ import annotations

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
