"""Delivery analytics: what each parcel's events say about it (journeys), the figures over a period, and which
parcels a figure counted (drill-downs). Definitions: docs/analytics.md."""
