"""Delivery estimates: made in the scan transaction, learned from deliveries, swept for stalled parcels."""
