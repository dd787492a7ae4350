"""The typed groups of settings that ``Settings`` hands each part of the program (store, http, limits, live,
notifying, estimating, staff), and the parsing they share. Kept apart from the flat list of environment fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal

Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]


def parse_ports(value: str) -> frozenset[int] | None:
    """``80,443`` as a set of ports, ``*`` as None (any); raises ValueError."""
    if value.strip() == "*":
        return None
    try:
        ports = frozenset(int(part) for part in value.split(",") if part.strip())
    except ValueError as error:
        raise ValueError("must be ports like '80,443', or '*'") from error
    if not ports or any(not 1 <= port <= 65535 for port in ports):
        raise ValueError("must be ports between 1 and 65535 like '80,443', or '*'")
    return ports


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """Where the store is (``url``: the configured one, or the embedded SQLite file) and how SQLite keeps it."""

    url: str
    embedded: bool
    data_dir: Path
    sqlite_synchronous: Synchronous
    sqlite_busy_timeout_ms: int


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """How the HTTP server listens, what requests it accepts, and how hot paths run."""

    host: str
    port: int
    public_base_url: str
    forwarded_allow_ips: str
    max_batch_scans: int
    max_body_bytes: int
    header_timeout_s: float
    body_timeout_s: float
    keepalive_s: int  # whole seconds: uvicorn's timeout_keep_alive
    ingest_gather_s: float
    hot_paths: bool
    decode_max_bytes: int
    pairing_max_failures: int
    bench_baseline_routes: bool


@dataclass(frozen=True, slots=True)
class LimitSettings:
    """The protections of public endpoints, and where their counters live (docs/deploy.md, "Limits")."""

    backend: Literal["memory", "store", "redis"]
    redis_url: str | None
    public_rate_limit: str
    max_streams_per_address: int
    pairing_max_failures: int
    order_lookup_max_failures: int
    order_lookup_max_failures_per_order: int


@dataclass(frozen=True, slots=True)
class LiveSettings:
    """Public pages and live updates: their protections, stream buffers, and the bus between processes."""

    public_rate_limit: str
    max_streams_per_address: int
    queue_size: int
    keepalive_s: float
    retry_ms: int
    order_view_ttl: timedelta
    redis_url: str | None
    poll_s: float
    poll_always: bool


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """Emails and webhooks: the SMTP server, retries, webhook rules, and the delivery worker."""

    public_base_url: str
    smtp_url: str | None
    smtp_from: str
    retry_schedule: tuple[timedelta, ...]
    webhook_allow_private: bool
    webhook_ports: frozenset[int] | None  # None: any port but 0
    webhook_timeout_s: float
    worker_in_process: bool
    worker_concurrency: int
    worker_lease: timedelta
    worker_poll: timedelta


@dataclass(frozen=True, slots=True)
class EstimateSettings:
    """Delivery estimates: on or off, the calendars' days, the stalled threshold, the sweep interval."""

    enabled: bool
    holidays: str
    holidays_removed: str
    official_holidays: bool
    half_life_days: float
    stalled_default: timedelta
    sweep_seconds: float


@dataclass(frozen=True, slots=True)
class StaffSettings:
    """The console's accounts: invitation and session lifetimes, the sign-in lockout, password hashing cost."""

    invitation_ttl: timedelta
    session_idle: timedelta
    session_max: timedelta
    lockout_failures: int
    lockout_window: timedelta
    password_time_cost: int
    password_memory_kib: int
    public_base_url: str
