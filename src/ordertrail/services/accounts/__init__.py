"""Merchants, API keys, authentication and device pairing."""
