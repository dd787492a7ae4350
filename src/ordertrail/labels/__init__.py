"""Shipping labels: one PDF page per parcel with a Code 128 barcode and a QR code of the tracking page."""

from ordertrail.labels.data import LabelData, Layout, tracking_page_url
from ordertrail.labels.render import render_labels

__all__ = ["LabelData", "Layout", "render_labels", "tracking_page_url"]
