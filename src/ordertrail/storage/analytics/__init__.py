"""The rows analytics reads: the parcels a period may count, with every event they have."""
