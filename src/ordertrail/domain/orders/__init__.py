"""Orders and their parcels as merchants register them."""
