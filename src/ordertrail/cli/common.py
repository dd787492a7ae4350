"""What every command shares: settings from the environment, the store made ready, domain errors as messages."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from ordertrail.domain.errors import OrdertrailError
from ordertrail.runtime import open_runtime
from ordertrail.services.context import Services
from ordertrail.settings import Settings
from ordertrail.storage.migrate import upgrade
from ordertrail.storage.schema import StoreProblem, check_store

T = TypeVar("T")
err = Console(stderr=True)


def load_settings() -> Settings:
    """Settings from the environment, or a clear message and exit code 2."""
    try:
        return Settings()
    except ValidationError as error:
        for item in error.errors():
            name = "ORDERTRAIL_" + "_".join(str(p) for p in item["loc"]).upper()
            err.print(f"[red]invalid setting {name}[/red]: {item['msg']}")
        raise typer.Exit(2) from error


def prepare_store(settings: Settings, *, schema: bool = True) -> None:
    """The embedded store is upgraded in place; PostgreSQL must be reachable and (``schema``) at head.

    Problems end the command with one line naming the setting, and exit code 2.
    """
    url = settings.resolved_database_url
    if settings.embedded:
        upgrade(url)  # before server processes start: they would otherwise race to upgrade it
        return
    try:
        asyncio.run(check_store(url, schema=schema))
    except StoreProblem as problem:
        err.print(f"[red]error:[/red] {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def check_redis(settings: Settings) -> None:
    """Warn (never refuse: Redis is not on the write path) when ORDERTRAIL_REDIS_URL does not answer."""
    if settings.redis_url is None:
        return
    import redis

    try:
        redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2).ping()
    except (redis.RedisError, OSError) as error:
        err.print(
            f"[yellow]warning:[/yellow] ORDERTRAIL_REDIS_URL: Redis does not answer ({error}); live updates between"
            " processes fall back to reading the store until it does",
            highlight=False,
            soft_wrap=True,
        )


def with_services(work: Callable[[Services], Awaitable[T]]) -> T:
    """Run ``work`` against an up-to-date store (``runtime.open_runtime``), turning domain errors into a message
    and exit code 1."""
    settings = load_settings()
    prepare_store(settings)

    async def main() -> T:
        async with open_runtime(settings) as runtime:
            return await work(runtime.services)

    try:
        return asyncio.run(main())
    except OrdertrailError as error:
        err.print(f"[red]error:[/red] {error.detail}")
        raise typer.Exit(1) from error
