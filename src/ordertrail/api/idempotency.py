"""The `Idempotency-Key` header of unsafe routes, and the header that marks a retry's answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Send the same key with a retry: the request acts once, and the retry is answered with its result.",
    ),
]


def replayed_headers(replayed: bool) -> dict[str, str] | None:
    """``Idempotent-Replayed: true`` on the answer to a retry (the first answer, given again)."""
    return {"Idempotent-Replayed": "true"} if replayed else None
