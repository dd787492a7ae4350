"""All configuration in one typed object, read from ``ORDERTRAIL_*`` environment variables.

Validated at start-up and passed explicitly: nothing reads the environment or connects at import time.
Tests build ``Settings(...)`` directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    max_batch_scans: int = Field(1000, ge=1, le=10000, description="Most scans in one POST /scans/batch.")
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="Largest request body accepted.")
    hot_paths: bool = Field(
        True, description="Serve scan ingest and tracking lookups past FastAPI's generic machinery (faster)."
    )
    decode_max_bytes: int = Field(
        3 * 1024 * 1024, ge=1024, description="Largest camera frame POST /api/v1/decode accepts (scanner station)."
    )
    pairing_max_failures: int = Field(
        10, ge=1, description="Failed pairing-code exchanges allowed per client address in 15 minutes."
    )
    bench_baseline_routes: bool = Field(
        False, description="Serve the bare baseline routes under /__bench/ (benchmarks only)."
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite:///", "postgresql://", "postgres://", "postgresql+")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @property
    def resolved_database_url(self) -> str:
        """The store's URL: the configured one, or the embedded SQLite file."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'ordertrail.db').resolve()}"

    @property
    def embedded(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
