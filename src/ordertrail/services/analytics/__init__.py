"""Delivery analytics for a reader's merchants: the figures over a period, and the parcels a figure counted."""
