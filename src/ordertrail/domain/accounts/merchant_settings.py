"""A merchant's settings as its people manage them: the name customers see and where customers get help."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ordertrail.domain.errors import InvalidInput

MAX_EMAIL: Final = 320
MAX_URL: Final = 500
_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URL: Final = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?")


@dataclass(frozen=True, slots=True)
class MerchantSettings:
    """``display_name`` None: customers see ``name``."""

    id: int
    name: str
    display_name: str | None
    support_email: str | None
    support_url: str | None

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
