"""Health, delivery estimates and unmatched scans: the documents of the smaller operational routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from ordertrail.api.documents.common import Document


class HealthOut(Document):
    status: Literal["ok"]


class ReadyOut(Document):
    status: Literal["ready"]
    live: str = Field(description="How live updates travel: in-process, redis, or polling the store.")


class RevisionOut(Document):
    earliest: date
    latest: date
    likely: date
    confidence: float
    basis: str
    step: str
    reason: str
    delayed: bool
    created_at: datetime


class EstimateHistoryOut(Document):
    tracking_number: str
    estimates: list[RevisionOut] = Field(description="Every change of the estimate, oldest first.")


class UnmatchedScanOut(Document):
    id: int
    event_id: str
    tracking_number: str
    recorded_at: datetime
    scan: dict[str, Any] = Field(description="The scan as it was sent.")


class UnmatchedPageOut(Document):
    unmatched_scans: list[UnmatchedScanOut]
    next_after: int | None = Field(description="Pass as ?after= for the next page; null on the last.")
