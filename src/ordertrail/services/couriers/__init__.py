"""Couriers: handing parcels over to them, and recording the events they send."""
