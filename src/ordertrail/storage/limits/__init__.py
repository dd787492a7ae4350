"""The store-backed counters of rate limits, lockouts and stream slots (``limit_counter``)."""
