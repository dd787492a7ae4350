"""Scan events and the parcel lifecycle: statuses, transition rules, status derivation, what recording changed."""
