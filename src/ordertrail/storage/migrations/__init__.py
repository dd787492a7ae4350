"""Alembic migrations; run them with ``ordertrail db upgrade`` (``serve`` does it for the embedded store)."""
