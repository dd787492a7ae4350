"""Checking an uploaded logo by decoding it (Pillow): what it really is, not what its name or header says."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from ordertrail.domain.accounts.merchant_settings import MAX_LOGO_BYTES, MAX_LOGO_SIDE, MIN_LOGO_SIDE
from ordertrail.domain.errors import InvalidInput

FIELD = "logo"
_MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


@dataclass(frozen=True, slots=True)
class CheckedImage:
    media_type: str
    width: int
    height: int


def check_logo(data: bytes) -> CheckedImage:
    """The media type and size of a PNG or JPEG logo, decoded in full (CPU-bound: run it off the event loop).
    Raises InvalidInput naming ``logo``: too large, not PNG or JPEG (an SVG, a GIF…), sides out of range, or a
    file that does not decode to the end (truncated, corrupt)."""
    if not data:
        raise InvalidInput("Send the logo's bytes: a PNG or JPEG image.", field=FIELD)
    if len(data) > MAX_LOGO_BYTES:
        raise InvalidInput(f"A logo is at most {MAX_LOGO_BYTES // 1024} KiB; this one is larger.", field=FIELD)
    try:
        with Image.open(io.BytesIO(data), formats=tuple(_MEDIA_TYPES)) as image:
            # The sides come from the header (IHDR, SOF): checked before the pixels are decoded.
            width, height = image.size
            if not all(MIN_LOGO_SIDE <= side <= MAX_LOGO_SIDE for side in (width, height)):
                raise InvalidInput(
                    f"A logo is {MIN_LOGO_SIDE} to {MAX_LOGO_SIDE} pixels wide and high; this one is "
                    f"{width} × {height}.",
                    field=FIELD,
                )
            media_type = _MEDIA_TYPES[str(image.format)]
            image.verify()  # PNG: every chunk's CRC, up to IEND (the pixels alone can decode from a cut file)
        with Image.open(io.BytesIO(data), formats=tuple(_MEDIA_TYPES)) as image:
            image.load()  # every pixel: a truncated or corrupt file fails here, not in a customer's browser
    except (UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise InvalidInput("A logo is a PNG or JPEG image (not SVG, GIF or another format).", field=FIELD) from error
    except (OSError, SyntaxError, ValueError) as error:  # Pillow's "truncated", "broken data stream", bad CRC
        raise InvalidInput("The logo does not decode: the file is truncated or corrupt.", field=FIELD) from error
    return CheckedImage(media_type, width, height)
