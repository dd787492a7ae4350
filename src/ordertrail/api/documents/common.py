"""What the response documents share: no undocumented fields, and the status vocabularies."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from ordertrail.domain.scanning.status import Status


class Document(BaseModel):
    """A response document: every field it may carry is named here."""

    model_config = ConfigDict(extra="forbid")


# An event's status: a milestone, or a correction that voids an earlier event.
EventStatus = Status | Literal["correction"]
