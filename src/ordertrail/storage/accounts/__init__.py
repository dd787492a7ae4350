"""Merchants, API keys and pairing codes."""
