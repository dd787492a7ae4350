"""Couriers a parcel is handed to: the handover, their events as ordertrail scans, their status codes as data."""
