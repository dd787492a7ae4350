"""Limits that hold across processes: rate limits, failure lockouts and stream slots over one counters port.

The counters live where every process serving the same customers can reach them (``counters.py``): Redis when
configured, else the store (``serve --workers N``, PostgreSQL), else this process's memory (one process).
"""
