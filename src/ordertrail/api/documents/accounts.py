"""Keys and the scanner station's devices: who am I, a paired key, the barcodes read from a camera frame."""

from __future__ import annotations

from pydantic import Field

from ordertrail.api.documents.common import Document
from ordertrail.domain.accounts.keys import Role


class KeyOut(Document):
    key_id: int | None
    role: Role
    name: str
    facility: str | None = Field(description="The facility a scanner key is bound to.")


class PairedKeyOut(Document):
    key: str = Field(description="The new scanner key, shown this once.")
    key_id: int
    role: Role
    name: str
    facility: str | None


class BarcodeOut(Document):
    text: str
    format: str = Field(description="The symbology, e.g. Code128 or QRCode.")


class DecodedFrameOut(Document):
    barcodes: list[BarcodeOut]
