"""Bulk actions over a filtered selection of parcels: what a person previews, then confirms once.

The preview names exactly the parcels the action will touch; the confirmation carries the digest of that list,
and the server acts only if the filter still selects the same parcels (a scan between preview and confirmation
can change a filtered set: then the person sees the new preview instead of acting on parcels they never saw).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ordertrail.domain.staff.audit import ActorKind

MAX_BULK = 500  # parcels in one bulk action: one transaction, one page of preview


class BulkKind(StrEnum):
    MESSAGE = "message"  # a message to each parcel's customer
    CANCEL = "cancel"  # cancel each parcel
    HANDLE = "handle"  # mark each parcel's exception handled, with what was done
    RESEND_EMAIL = "resend_email"  # each parcel's newest email again
    RESEND_WEBHOOK = "resend_webhook"  # each parcel's webhooks replayed to its merchant's enabled endpoints


@dataclass(frozen=True, slots=True)
class BulkAction:
    """A bulk action as recorded: under which key, by whom, what, over how many parcels."""

    id: int
    key: str
    actor_kind: ActorKind
    actor: str
    action: str
    parcel_count: int
    text: str
    created_at: datetime


def selection_digest(tracking_numbers: Sequence[str]) -> str:
    """The digest of a selection (order-independent): what the preview showed is what the confirmation acts on."""
    return hashlib.sha256("\n".join(sorted(tracking_numbers)).encode()).hexdigest()
