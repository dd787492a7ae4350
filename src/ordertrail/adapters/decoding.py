"""Reading barcodes from camera frames with zxing-cpp, for browsers without ``BarcodeDetector``."""

from __future__ import annotations

import io
from dataclasses import dataclass

import zxingcpp
from PIL import Image, UnidentifiedImageError

from ordertrail.domain.errors import InvalidInput

# Phones send 720p-1080p frames; anything larger is downscaled first, which zxing-cpp reads just as well.
MAX_SIDE = 1600
_FORMATS = zxingcpp.barcode_formats_from_str("Code128,QRCode,DataMatrix,Code39")


@dataclass(frozen=True, slots=True)
class DecodedBarcode:
    text: str
    format: str


def decode_frame(data: bytes) -> list[DecodedBarcode]:
    """The barcodes in a JPEG or PNG frame (CPU-bound: run it off the event loop); raises InvalidInput."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.format not in ("JPEG", "PNG"):
                raise InvalidInput("The frame must be a JPEG or PNG image.", field="body")
            if opened.width * opened.height > 40_000_000:
                raise InvalidInput("The frame has too many pixels.", field="body")
            image = opened.convert("L")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise InvalidInput("The frame is not a readable JPEG or PNG image.", field="body") from error
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    return [
        DecodedBarcode(text=found.text, format=found.format.name)
        for found in zxingcpp.read_barcodes(image, formats=_FORMATS)
        if found.valid and found.text
    ]
