"""A merchant's settings as its people manage them: the name customers see, its logo and where customers get
help."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ordertrail.domain.errors import InvalidInput

MAX_EMAIL: Final = 320
MAX_URL: Final = 500
# A logo is shown at a fixed height (48 px on pages and in emails): 256 KiB and 2048 px a side are plenty for that
# at any screen density, and bound what a decoder is asked to do with an upload.
MAX_LOGO_BYTES: Final = 256 * 1024
MIN_LOGO_SIDE: Final = 16
MAX_LOGO_SIDE: Final = 2048
# PNG and JPEG only: an SVG can carry script, and other formats gain nothing for a logo.
LOGO_EXTENSIONS: Final = {"image/png": "png", "image/jpeg": "jpg"}
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL: Final = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?")


@dataclass(frozen=True, slots=True)
class Logo:
    """A merchant's logo as pages and emails refer to it (its bytes stay in the store until it is fetched).
    ``sha256`` of the bytes is its version: its address changes with it, so it can be cached for good."""

    merchant_id: int
    media_type: str
    sha256: str
    width: int
    height: int
    size: int

    @property
    def path(self) -> str:
        return logo_path(self.merchant_id, self.sha256, self.media_type)


def logo_path(merchant_id: int, sha256: str, media_type: str) -> str:
    """Where the logo is served, e.g. ``/merchant-logos/3/9f86….png``."""
    return f"/merchant-logos/{merchant_id}/{sha256}.{LOGO_EXTENSIONS[media_type]}"


@dataclass(frozen=True, slots=True)
class MerchantSettings:
    """``display_name`` None: customers see ``name``; ``logo`` None: no logo."""

    id: int
    name: str
    display_name: str | None
    support_email: str | None
    support_url: str | None
    logo: Logo | None = None

    @property
    def shown_name(self) -> str:
        return self.display_name or self.name


def support_email_of(text: str | None) -> str | None:
    """The support address, checked: blank means none. Raises InvalidInput naming ``support_email``."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    if len(text) > MAX_EMAIL or not _EMAIL.fullmatch(text):
        raise InvalidInput("An email address such as help@example.com.", field="support_email")
    return text


def support_url_of(text: str | None) -> str | None:
    """The shop's help page, checked: blank means none. Raises InvalidInput naming ``support_url``."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    if len(text) > MAX_URL or not _URL.fullmatch(text):
        raise InvalidInput(f"A web address starting with https:// (at most {MAX_URL} characters).", field="support_url")
    return text
