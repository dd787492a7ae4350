"""Couriers' rows: integrations and their secrets, parcels' handovers, the events couriers sent."""
