"""Shipping labels printed from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ordertrail.cli.common import load_settings, with_services
from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.errors import InvalidInput
from ordertrail.labels import Layout
from ordertrail.services.context import Services
from ordertrail.services.orders import labels as label_service


def labels(
    order_numbers: Annotated[list[str], typer.Argument(metavar="ORDER_NUMBER...", help="The orders to print.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The PDF file to write (a directory: labels.pdf in it).")
    ] = Path("labels.pdf"),
    layout: Annotated[Layout, typer.Option(help="Label stock: 4x6 (inches) or a6.")] = Layout.FOUR_BY_SIX,
    merchant: Annotated[
        str | None, typer.Option(help="Only this merchant's orders (needed when several merchants use a number).")
    ] = None,
) -> None:
    """Write the shipping labels of every parcel of the given orders to one PDF, a page per parcel.

    The PDF goes where --output says, relative to the current directory (default: ./labels.pdf).
    """
    settings = load_settings()
    target = (output / "labels.pdf" if output.is_dir() else output).resolve()
    operator = Principal(key_id=None, role=Role.ADMIN, name="cli")

    async def work(services: Services) -> int:
        try:
            found = await label_service.order_labels(
                services,
                principal=operator,
                order_numbers=order_numbers,
                public_base_url=settings.public_base_url,
                merchant=merchant,
            )
        except InvalidInput as error:
            if error.field != "merchant":
                raise
            raise InvalidInput(f"{error.detail} Use --merchant NAME.", field="merchant") from error
        target.write_bytes(await label_service.render(found, layout))
        return len(found)

    pages = with_services(work)
    typer.echo(f"wrote {pages} label{'s' if pages != 1 else ''} to {target}")
