"""Merchants and API keys: created, listed and revoked from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ordertrail.cli.common import with_services
from ordertrail.domain.accounts.keys import Role
from ordertrail.services.accounts import keys as key_service
from ordertrail.services.accounts import merchants as merchant_service
from ordertrail.services.accounts import pairing as pairing_service
from ordertrail.storage.accounts.merchants import list_merchants

merchants_app = typer.Typer(help="Merchants.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)


@merchants_app.command("create")
def merchants_create(name: str) -> None:
    """Create a merchant."""
    merchant_id = with_services(lambda services: merchant_service.create_merchant(services, name=name))
    typer.echo(f"created merchant {name!r} (id {merchant_id})")


@merchants_app.command("list")
def merchants_list() -> None:
    """List merchants."""
    rows = with_services(lambda services: services.db.read(list_merchants))
    table = Table("id", "name", "created")
    for merchant_id, name, created_at in rows:
        table.add_row(str(merchant_id), name, created_at.isoformat(timespec="seconds"))
    Console().print(table)


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="admin, merchant or scanner")],
    name: Annotated[str, typer.Option(help="Who or what uses the key (a person, a device).")],
    merchant: Annotated[str | None, typer.Option(help="Merchant keys: the merchant's name.")] = None,
    facility: Annotated[str | None, typer.Option(help="Scanner keys: the facility every scan records.")] = None,
) -> None:
    """Create an API key. The key is printed once, alone on the last line; only its hash is kept."""
    created = with_services(
        lambda services: key_service.create_key(services, role=role, name=name, merchant=merchant, facility=facility)
    )
    typer.echo(f"created {created.role.value} key {created.id} ({created.name}); store it now, it is not shown again:")
    typer.echo(created.plaintext)


@keys_app.command("pair")
def keys_pair(
    name: Annotated[str, typer.Option(help="The device's name (e.g. 'Dock 3 handheld').")],
    facility: Annotated[str | None, typer.Option(help="The facility every scan of the device records.")] = None,
    minutes: Annotated[int, typer.Option(min=1, max=24 * 60, help="How long the code stays valid.")] = 10,
) -> None:
    """Create a one-time pairing code: type it on the device at /scan to give it its own scanner key."""
    code = with_services(
        lambda services: pairing_service.create_pairing_code(services, name=name, facility=facility, minutes=minutes)
    )
    expires = code.expires_at.astimezone().isoformat(timespec="minutes")
    typer.echo(f"pairing code for {code.name!r}, valid once until {expires}; type it on the device at /scan:")
    typer.echo(code.display)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never the keys themselves)."""
    rows = with_services(key_service.list_keys)
    table = Table("id", "prefix", "role", "name", "merchant", "facility", "created", "revoked")
    for key in rows:
        table.add_row(
            str(key.id),
            key.display_prefix + "…",
            key.role.value,
            key.name,
            key.merchant or "",
            key.facility or "",
            key.created_at.isoformat(timespec="seconds"),
            key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else "",
        )
    Console(width=160).print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: int) -> None:
    """Revoke a key; it stops working at once, also in a running server."""
    with_services(lambda services: key_service.revoke_key(services, key_id=key_id))
    typer.echo(f"revoked key {key_id}")
