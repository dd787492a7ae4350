"""Merchants and API keys: created, listed and revoked from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ordertrail.cli.common import with_services
from ordertrail.domain.accounts.keys import Role
from ordertrail.postal import address_lines
from ordertrail.services.accounts import keys as key_service
from ordertrail.services.accounts import merchants as merchant_service
from ordertrail.services.accounts import pairing as pairing_service
from ordertrail.services.context import Services
from ordertrail.storage.accounts.merchants import merchant_details

merchants_app = typer.Typer(help="Merchants.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)


DisplayName = Annotated[
    str | None, typer.Option(help="The name customers see on tracking pages, labels and emails (blank: the name).")
]
ReturnLine1 = Annotated[str | None, typer.Option(help="Return address: street and number.")]
ReturnLine2 = Annotated[str | None, typer.Option(help="Return address: second line.")]
ReturnCity = Annotated[str | None, typer.Option(help="Return address: town or city.")]
ReturnRegion = Annotated[str | None, typer.Option(help="Return address: state, province or prefecture.")]
ReturnPostalCode = Annotated[str | None, typer.Option(help="Return address: postal code.")]
ReturnCountry = Annotated[str | None, typer.Option(help="Return address: two-letter country code.")]


def _return_address(**fields: str | None) -> dict[str, str | None]:
    return {key.removeprefix("return_"): value for key, value in fields.items()}


@merchants_app.command("create")
def merchants_create(
    name: str,
    display_name: DisplayName = None,
    return_line1: ReturnLine1 = None,
    return_line2: ReturnLine2 = None,
    return_city: ReturnCity = None,
    return_region: ReturnRegion = None,
    return_postal_code: ReturnPostalCode = None,
    return_country: ReturnCountry = None,
) -> None:
    """Create a merchant (its return address is printed on its labels)."""
    fields = _return_address(
        return_line1=return_line1,
        return_line2=return_line2,
        return_city=return_city,
        return_region=return_region,
        return_postal_code=return_postal_code,
        return_country=return_country,
    )

    async def work(services: Services) -> int:
        address = merchant_service.return_address_of(fields)  # inside: a bad field is reported like any error
        return await merchant_service.create_merchant(
            services, name=name, display_name=display_name, return_address=address
        )

    merchant_id = with_services(work)
    typer.echo(f"created merchant {name!r} (id {merchant_id})")


@merchants_app.command("update")
def merchants_update(
    name: str,
    display_name: DisplayName = None,
    return_line1: ReturnLine1 = None,
    return_line2: ReturnLine2 = None,
    return_city: ReturnCity = None,
    return_region: ReturnRegion = None,
    return_postal_code: ReturnPostalCode = None,
    return_country: ReturnCountry = None,
    clear_return_address: Annotated[bool, typer.Option(help="Print no return address.")] = False,
) -> None:
    """Change a merchant's display name or return address (a return address is given whole)."""
    fields = _return_address(
        return_line1=return_line1,
        return_line2=return_line2,
        return_city=return_city,
        return_region=return_region,
        return_postal_code=return_postal_code,
        return_country=return_country,
    )

    async def work(services: Services) -> None:
        address = merchant_service.return_address_of(fields)
        await merchant_service.update_merchant(
            services,
            name=name,
            display_name=display_name,
            return_address=address,
            clear_return_address=clear_return_address,
        )

    with_services(work)
    typer.echo(f"updated merchant {name!r}")


@merchants_app.command("list")
def merchants_list() -> None:
    """List merchants."""
    rows = with_services(lambda services: services.db.read(merchant_details))
    table = Table("id", "name", "display name", "return address", "created")
    for merchant_id, name, display_name, address, created_at in rows:
        returns = ", ".join(line.text for line in address_lines(address)) if address else ""
        table.add_row(str(merchant_id), name, display_name or "", returns, created_at.isoformat(timespec="seconds"))
    Console().print(table)


@keys_app.command("create")
def keys_create(
    role: Annotated[Role, typer.Option(help="admin, merchant or scanner")],
    name: Annotated[str, typer.Option(help="Who or what uses the key (a person, a device).")],
    merchant: Annotated[
        str | None,
        typer.Option(help="Merchant keys: the merchant's name; a packing bench's scanner key: whose labels it prints."),
    ] = None,
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
    merchant: Annotated[
        str | None, typer.Option(help="A packing bench's merchant: the device lists and prints its labels.")
    ] = None,
    minutes: Annotated[int, typer.Option(min=1, max=24 * 60, help="How long the code stays valid.")] = 10,
) -> None:
    """Create a one-time pairing code: type it on the device at /scan to give it its own scanner key."""
    code = with_services(
        lambda services: pairing_service.create_pairing_code(
            services, name=name, facility=facility, merchant=merchant, minutes=minutes
        )
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
