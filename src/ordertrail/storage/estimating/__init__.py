"""Lane statistics, parcels' estimate state and estimate revisions."""
