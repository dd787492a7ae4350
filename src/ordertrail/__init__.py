"""ordertrail: the system of record for parcel scan events, and the live window onto them."""

__version__ = "0.1.0"
