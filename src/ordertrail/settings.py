"""All configuration in one typed object, read from ``ORDERTRAIL_*`` environment variables.

Validated at start-up and passed explicitly: nothing reads the environment or connects at import time.
Tests build ``Settings(...)`` directly. The fields are the environment's names (one flat list, documented field by
field); each part of the program takes only its group of them: ``store``, ``http``, ``live``, ``notifying`` and
``estimating``, typed views made by ``Settings``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ordertrail.domain.notifying.retries import DEFAULT_SCHEDULE, parse_schedule
from ordertrail.setting_groups import (
    EstimateSettings,
    HttpSettings,
    LimitSettings,
    LiveSettings,
    NotifySettings,
    StaffSettings,
    StoreSettings,
    parse_ports,
)


class Settings(BaseSettings):
    """ordertrail's settings. Each field is ``ORDERTRAIL_<FIELD NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="ORDERTRAIL_", extra="ignore")

    # -- store ------------------------------------------------------------------------------------------------
    data_dir: Path = Field(Path("ordertrail-data"), description="Where the embedded store keeps its files.")
    database_url: str | None = Field(
        None,
        description="sqlite:///PATH or postgresql://USER@HOST/DB. Unset: SQLite file in data_dir.",
    )
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = Field(
        "FULL", description="SQLite's durability level. FULL: a 2xx means the scan is on disk."
    )
    sqlite_busy_timeout_ms: int = Field(5000, ge=0, description="How long a writer waits for the SQLite lock.")

    # -- HTTP -------------------------------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address `ordertrail serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `ordertrail serve` listens on.")
    public_base_url: str = Field(
        "http://localhost:8000", description="How customers reach this server (links in labels, emails)."
    )
    forwarded_allow_ips: str = Field(
        "",
        description="Addresses of the reverse proxies whose X-Forwarded-For/-Proto `ordertrail serve` trusts "
        "(comma-separated IPs or networks, e.g. '10.0.0.5' or '10.0.0.0/24'): the client address then comes "
        "from that proxy's header. Unset: no proxy is trusted and the header is ignored (anyone can write it; "
        "trusting it lets a client pick a new address, and a new rate-limit budget, for every request).",
    )
    max_batch_scans: int = Field(1000, ge=1, le=10000, description="Most scans in one POST /scans/batch.")
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="Largest request body accepted.")
    header_timeout_s: float = Field(
        10.0, gt=0, le=300, description="Seconds a client has to send a request's headers (`ordertrail serve`)."
    )
    body_timeout_s: float = Field(
        20.0, gt=0, le=3600, description="Seconds a client has to send a request's body once its headers are in."
    )
    keepalive_s: int = Field(
        75,
        ge=1,
        le=3600,
        description="Seconds `ordertrail serve` keeps an idle connection open for the client's next request. Keep it "
        "longer than the idle timeout of the proxy or client pool in front (nginx upstream keepalive: 60 s): a "
        "server that closes first races the proxy's next request on that connection, and the proxy answers 502.",
    )
    ingest_gather_ms: float = Field(
        1.0,
        ge=0,
        le=50,
        description="Under concurrent load, how long scan ingest waits for more scans to share a commit (0: never).",
    )
    hot_paths: bool = Field(
        True, description="Serve scan ingest and tracking lookups past FastAPI's generic machinery (faster)."
    )
    decode_max_bytes: int = Field(
        3 * 1024 * 1024, ge=1024, description="Largest camera frame POST /api/v1/decode accepts (scanner station)."
    )
    pairing_max_failures: int = Field(
        10,
        ge=1,
        description="Failed pairing-code exchanges allowed per client address in 15 minutes (20 times as many "
        "from all addresses together).",
    )
    order_lookup_max_failures: int = Field(
        5,
        ge=1,
        description="Wrong order-number + email/postal-code tries per order and client address in 15 minutes.",
    )
    order_lookup_max_failures_per_order: int = Field(
        50,
        ge=1,
        description="Wrong tries per order from all addresses together in 15 minutes (a ceiling against many "
        "addresses guessing one order; reaching it locks the order for its customer too).",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Signs links (order views, unsubscribe). Unset: generated once and kept in data_dir/secret_key;"
        " set it explicitly when several machines serve the same store.",
    )

    # -- public pages and live updates --------------------------------------------------------------------------
    public_rate_limit: str = Field(
        "120/minute",
        description="Public lookups and stream connections per client address, e.g. '120/minute'; '0' turns it off.",
    )
    max_streams_per_address: int = Field(
        20,
        ge=0,
        description="Live streams one client address (for the console: one person) may hold open at once (0: no cap).",
    )
    live_queue_size: int = Field(
        256, ge=1, description="Messages buffered per live stream; a client that falls further behind is dropped."
    )
    sse_keepalive_s: float = Field(15.0, gt=0, le=15, description="Seconds between keep-alive comments.")
    sse_retry_ms: int = Field(2000, ge=100, description="The reconnect delay streams ask browsers to use.")
    order_view_ttl_s: int = Field(
        2 * 3600, ge=60, description="How long the link to a verified order view opened from the form works."
    )
    redis_url: str | None = Field(
        None,
        description="redis://HOST:PORT/DB: live updates reach streams on every API process through Redis pub/sub. "
        "Unset: in-process only (one server process). Never on the write path: while Redis is down, streams "
        "read the store instead.",
    )
    limit_backend: Literal["auto", "memory", "store", "redis"] = Field(
        "auto",
        description="Where the counters of rate limits, lockouts and stream caps live: 'redis' (every process on "
        "every machine; needs ORDERTRAIL_REDIS_URL), 'store' (the limit_counter table: every process on the "
        "store), 'memory' (this process only). 'auto': redis when ORDERTRAIL_REDIS_URL is set, else the store on "
        "PostgreSQL or with `serve --workers N`, else memory.",
    )
    live_poll_s: float = Field(
        1.0, gt=0, le=30, description="While Redis is unreachable, how often open streams read the store."
    )
    live_poll_always: bool = Field(
        False,
        description="Without Redis, streams still read the store every live_poll_s: for several server processes "
        "on one store (`ordertrail serve --workers N` sets it when ORDERTRAIL_REDIS_URL is unset).",
    )
    bench_baseline_routes: bool = Field(
        False, description="Serve the bare baseline routes under /__bench/ (benchmarks only)."
    )
    metrics: bool = Field(
        True, description="Record operations metrics and serve them at /metrics in Prometheus's format (false: off)."
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="A token /metrics then asks of every scraper (`Authorization: Bearer <token>`). Unset: /metrics "
        "answers only clients on the loopback address.",
    )
    request_log: Literal["off", "text", "json"] = Field(
        "off",
        description="One log line per request (method, route, status, duration_ms, request id): as text, as JSON, "
        "or none.",
    )

    # -- notifications ----------------------------------------------------------------------------------------
    smtp_url: str | None = Field(
        None,
        description="smtp://[user:password@]host[:port][?starttls=true|false] (STARTTLS when offered) or "
        "smtps://… (TLS). Unset: customer emails are not sent (they are marked skipped).",
    )
    smtp_from: str = Field("ordertrail <notifications@localhost>", description="The From address of customer emails.")
    webhook_retry_delays: str = Field(
        DEFAULT_SCHEDULE,
        description="Delays between webhook (and email) delivery attempts, comma-separated (5s, 30m, 2h, 1d); "
        "each gets ±20% jitter. The default spans about three days (docs/notifications.md).",
    )
    webhook_allow_private: bool = Field(
        False,
        description="Allow webhook endpoints on loopback and private addresses (development and tests). "
        "Link-local and cloud metadata addresses stay refused.",
    )
    webhook_ports: str = Field(
        "80,443",
        description="Ports webhook URLs may name, comma-separated, or '*' for any (development, tests). "
        "A port elsewhere reaches services that were never meant to take requests (Redis on 6379, …).",
    )
    webhook_timeout_seconds: float = Field(15.0, gt=0, le=60, description="Most time one webhook attempt may take.")
    worker_in_process: bool = Field(
        True, description="`ordertrail serve` runs a delivery worker in its own process (the embedded default)."
    )
    worker_concurrency: int = Field(32, ge=1, le=1000, description="Deliveries one worker runs at the same time.")
    worker_lease_seconds: float = Field(
        120.0,
        ge=1,
        description="How long a worker holds a claimed message; a crashed worker's messages are retried after it.",
    )
    worker_poll_seconds: float = Field(1.0, gt=0, le=60, description="How often an idle worker looks for due work.")

    # -- the console: staff accounts and sessions ------------------------------------------------------------
    staff_invitation_hours: float = Field(
        72.0, gt=0, le=24 * 30, description="How long an invitation (or reset) link from `ordertrail users` works."
    )
    staff_session_idle_minutes: float = Field(
        30.0, gt=0, description="A console session ends after this long without a request."
    )
    staff_session_max_hours: float = Field(
        12.0, gt=0, description="A console session ends this long after sign-in, however busy."
    )
    staff_lockout_failures: int = Field(
        5, ge=1, description="Failed sign-ins to one account that lock it (for staff_lockout_minutes)."
    )
    staff_lockout_minutes: float = Field(
        15.0, gt=0, description="The window in which failed sign-ins count, and so the longest lockout."
    )
    password_time_cost: int = Field(3, ge=1, le=20, description="Argon2id passes when hashing staff passwords.")
    password_memory_kib: int = Field(
        65536,
        ge=8,
        description="Argon2id memory per staff password hash, in KiB. Hashes made with other "
        "parameters are redone at the next sign-in.",
    )

    # -- delivery estimates -----------------------------------------------------------------------------------
    estimates: bool = Field(
        True, description="Estimate delivery dates after every scan, flag delays and stalled parcels (docs/eta.md)."
    )
    eta_holidays: str = Field(
        "",
        description="Non-delivery days per destination country besides weekends, e.g. 'DE:2026-12-25,FR:2026-07-14'.",
    )
    eta_official_holidays: bool = Field(
        True,
        description="Take every country's (and region's) public holidays from the holidays package (docs/eta.md).",
    )
    eta_holidays_removed: str = Field(
        "",
        description="Public holidays that are delivery days after all, e.g. 'GB:2026-12-26' (same form as above).",
    )
    eta_half_life_days: float = Field(
        0.0,
        ge=0,
        description="Recency: a delivery this many days older weighs half as much in the lane statistics (0: off).",
    )
    eta_calibrate: bool = Field(
        False,
        description="Remap each situation's windows by where recent deliveries fell in their estimates "
        "(docs/eta.md, Calibration); learning a delivery then scores it first.",
    )
    eta_stalled_default_hours: float = Field(
        48.0, gt=0, description="A parcel is stalled after this long without a scan where its lane has no history."
    )
    eta_sweep_seconds: float = Field(
        60.0, gt=0, description="How often the stalled-parcel job runs (in the worker, and in serve's own worker)."
    )
    demo_live_seconds: float = Field(
        0.0,
        ge=0,
        description="The live demo: every this many seconds a demo parcel gets its next scan (0: off; "
        "`serve --demo` with one process sets 15).",
    )

    @field_validator("eta_holidays", "eta_holidays_removed")
    @classmethod
    def _holidays(cls, value: str) -> str:
        from ordertrail.domain.errors import InvalidInput
        from ordertrail.domain.estimating.calendar import parse_holidays

        try:
            parse_holidays(value)
        except InvalidInput as error:
            raise ValueError(error.detail) from error
        return value

    @field_validator("webhook_retry_delays")
    @classmethod
    def _schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("smtp://", "smtps://")):
            raise ValueError("must start with smtp:// or smtps://")
        return value

    @field_validator("webhook_ports")
    @classmethod
    def _ports(cls, value: str) -> str:
        parse_ports(value)
        return value.strip()

    @property
    def retry_schedule(self) -> tuple[timedelta, ...]:
        return parse_schedule(self.webhook_retry_delays)

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite:///", "postgresql://", "postgres://", "postgresql+")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator("public_rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse_many

        if value.strip() != "0":
            try:
                parse_many(value)
            except ValueError as error:
                raise ValueError("must be like '120/minute' or '0'") from error
        return value.strip()

    @field_validator("limit_backend")
    @classmethod
    def _redis_limits_need_redis(cls, value: str, info: ValidationInfo) -> str:
        # redis_url is declared before limit_backend, so it has been read (and checked) already.
        if value == "redis" and info.data.get("redis_url") is None:
            raise ValueError(
                "'redis' needs ORDERTRAIL_REDIS_URL (the Redis server that holds the counters): set it, or use "
                "'store' (several processes on one store) or 'auto'"
            )
        return value

    @property
    def resolved_limit_backend(self) -> Literal["memory", "store", "redis"]:
        """Where the limit counters live, with 'auto' decided (see ``limit_backend``)."""
        if self.limit_backend != "auto":
            return self.limit_backend
        if self.redis_url is not None:
            return "redis"
        if not self.embedded or self.live_poll_always:
            return "store"
        return "memory"

    @property
    def resolved_database_url(self) -> str:
        """The store's URL: the configured one, or the embedded SQLite file."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'ordertrail.db').resolve()}"

    @property
    def embedded(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    # -- the groups each part of the program takes ----------------------------------------------------------

    @property
    def store(self) -> StoreSettings:
        return StoreSettings.of(self)

    @property
    def http(self) -> HttpSettings:
        return HttpSettings.of(self)

    @property
    def limits(self) -> LimitSettings:
        return LimitSettings.of(self)

    @property
    def live(self) -> LiveSettings:
        return LiveSettings.of(self)

    @property
    def notifying(self) -> NotifySettings:
        return NotifySettings.of(self)

    @property
    def staff(self) -> StaffSettings:
        return StaffSettings.of(self)

    @property
    def estimating(self) -> EstimateSettings:
        return EstimateSettings.of(self)
