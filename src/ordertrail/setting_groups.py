"""The typed groups of settings that ``Settings`` hands each part of the program (store, http, limits, live,
notifying, estimating, staff), and the parsing they share. Kept apart from the flat list of environment fields;
each group reads itself off that list (``Group.of(settings)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ordertrail.settings import Settings

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

    @classmethod
    def of(cls, settings: Settings) -> StoreSettings:
        """This group, read off the flat environment fields."""
        return cls(
            url=settings.resolved_database_url,
            embedded=settings.embedded,
            data_dir=settings.data_dir,
            sqlite_synchronous=settings.sqlite_synchronous,
            sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        )


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
    metrics: bool
    metrics_token: str | None
    request_log: str  # off, text or json

    @classmethod
    def of(cls, settings: Settings) -> HttpSettings:
        """This group, read off the flat environment fields."""
        return cls(
            host=settings.host,
            port=settings.port,
            public_base_url=settings.public_base_url,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            max_batch_scans=settings.max_batch_scans,
            max_body_bytes=settings.max_body_bytes,
            header_timeout_s=settings.header_timeout_s,
            body_timeout_s=settings.body_timeout_s,
            keepalive_s=settings.keepalive_s,
            ingest_gather_s=settings.ingest_gather_ms / 1000,
            hot_paths=settings.hot_paths,
            decode_max_bytes=settings.decode_max_bytes,
            pairing_max_failures=settings.pairing_max_failures,
            bench_baseline_routes=settings.bench_baseline_routes,
            metrics=settings.metrics,
            metrics_token=settings.metrics_token.get_secret_value() if settings.metrics_token else None,
            request_log=settings.request_log,
        )


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

    @classmethod
    def of(cls, settings: Settings) -> LimitSettings:
        """This group, read off the flat environment fields."""
        return cls(
            backend=settings.resolved_limit_backend,
            redis_url=settings.redis_url,
            public_rate_limit=settings.public_rate_limit,
            max_streams_per_address=settings.max_streams_per_address,
            pairing_max_failures=settings.pairing_max_failures,
            order_lookup_max_failures=settings.order_lookup_max_failures,
            order_lookup_max_failures_per_order=settings.order_lookup_max_failures_per_order,
        )


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

    @classmethod
    def of(cls, settings: Settings) -> LiveSettings:
        """This group, read off the flat environment fields."""
        return cls(
            public_rate_limit=settings.public_rate_limit,
            max_streams_per_address=settings.max_streams_per_address,
            queue_size=settings.live_queue_size,
            keepalive_s=settings.sse_keepalive_s,
            retry_ms=settings.sse_retry_ms,
            order_view_ttl=timedelta(seconds=settings.order_view_ttl_s),
            redis_url=settings.redis_url,
            poll_s=settings.live_poll_s,
            poll_always=settings.live_poll_always,
        )


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

    @classmethod
    def of(cls, settings: Settings) -> NotifySettings:
        """This group, read off the flat environment fields."""
        return cls(
            public_base_url=settings.public_base_url,
            smtp_url=settings.smtp_url,
            smtp_from=settings.smtp_from,
            retry_schedule=settings.retry_schedule,
            webhook_allow_private=settings.webhook_allow_private,
            webhook_ports=parse_ports(settings.webhook_ports),
            webhook_timeout_s=settings.webhook_timeout_seconds,
            worker_in_process=settings.worker_in_process,
            worker_concurrency=settings.worker_concurrency,
            worker_lease=timedelta(seconds=settings.worker_lease_seconds),
            worker_poll=timedelta(seconds=settings.worker_poll_seconds),
        )


@dataclass(frozen=True, slots=True)
class EstimateSettings:
    """Delivery estimates: on or off, the calendars' days, the stalled threshold, the sweep interval."""

    enabled: bool
    holidays: str
    holidays_removed: str
    official_holidays: bool
    half_life_days: float
    calibrate: bool
    stalled_default: timedelta
    sweep_seconds: float

    @classmethod
    def of(cls, settings: Settings) -> EstimateSettings:
        """This group, read off the flat environment fields."""
        return cls(
            enabled=settings.estimates,
            holidays=settings.eta_holidays,
            holidays_removed=settings.eta_holidays_removed,
            official_holidays=settings.eta_official_holidays,
            half_life_days=settings.eta_half_life_days,
            calibrate=settings.eta_calibrate,
            stalled_default=timedelta(hours=settings.eta_stalled_default_hours),
            sweep_seconds=settings.eta_sweep_seconds,
        )


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

    @classmethod
    def of(cls, settings: Settings) -> StaffSettings:
        """This group, read off the flat environment fields."""
        return cls(
            invitation_ttl=timedelta(hours=settings.staff_invitation_hours),
            session_idle=timedelta(minutes=settings.staff_session_idle_minutes),
            session_max=timedelta(hours=settings.staff_session_max_hours),
            lockout_failures=settings.staff_lockout_failures,
            lockout_window=timedelta(minutes=settings.staff_lockout_minutes),
            password_time_cost=settings.password_time_cost,
            password_memory_kib=settings.password_memory_kib,
            public_base_url=settings.public_base_url,
        )
