"""Orders and parcels (with the status projection), order lookup attempts."""
