"""``ordertrail merchants create/update``: the display name customers see and the return address on labels."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from ordertrail.cli import app
from ordertrail.domain.orders.order import Address
from ordertrail.storage.accounts.merchants import merchant_details
from ordertrail.storage.database import open_database
from tests.integration.labels_fixtures import LabelWorld, auth, label_world, pdf_text

__all__ = ["label_world"]


def _cli(world: LabelWorld, *args: str) -> tuple[int, str]:
    env = {
        "ORDERTRAIL_DATA_DIR": str(world.settings.data_dir),
        "ORDERTRAIL_PUBLIC_BASE_URL": world.settings.public_base_url,
    }
    result = CliRunner().invoke(app, ["merchants", *args], env=env)
    return result.exit_code, result.output


def _merchants(world: LabelWorld) -> list[tuple[int, str, str | None, Address | None, datetime]]:
    async def read() -> list[tuple[int, str, str | None, Address | None, datetime]]:
        db = open_database(world.settings.resolved_database_url)
        try:
            return await db.read(merchant_details)
        finally:
            await db.close()

    return asyncio.run(read())


def _label_text(world: LabelWorld, tmp_path: Path) -> str:
    order = world.place(parcels=[{}])
    response = world.client.get(f"/api/v1/orders/{order['order_number']}/labels.pdf", headers=auth(world.shop_a))
    assert response.status_code == 200, response.text
    [text] = pdf_text(response.content, tmp_path)
    return text


def test_display_name_and_return_address_print_on_labels(label_world: LabelWorld, tmp_path: Path) -> None:
    before = _label_text(label_world, tmp_path / "before")
    assert "Shop A" in before and "LEEDS" not in before  # no return address yet: none printed

    code, output = _cli(
        label_world,
        "update",
        "Shop A",
        "--display-name",
        "Northwind Outdoor",
        "--return-line1",
        "Unit 4, Riverside Park",
        "--return-city",
        "Leeds",
        "--return-postal-code",
        "LS1 4AP",
        "--return-country",
        "gb",
    )
    assert code == 0, output
    after = _label_text(label_world, tmp_path / "after")
    assert "Northwind Outdoor" in after and "Shop A" not in after
    # The return address on one line, in the UK's order: the post town, in capitals, before the postcode.
    assert "Unit 4, Riverside Park, LEEDS, LS1 4AP, UNITED KINGDOM" in after

    [(_, name, shown, address, _), _] = _merchants(label_world)
    assert (name, shown) == ("Shop A", "Northwind Outdoor")
    assert address == Address(line1="Unit 4, Riverside Park", city="Leeds", postal_code="LS1 4AP", country="GB")

    code, output = _cli(label_world, "update", "Shop A", "--display-name", "", "--clear-return-address")
    assert code == 0, output
    cleared = _label_text(label_world, tmp_path / "cleared")
    assert "Shop A" in cleared and "LEEDS" not in cleared


def test_a_return_address_with_a_field_missing_is_refused_and_changes_nothing(
    label_world: LabelWorld, tmp_path: Path
) -> None:
    code, output = _cli(label_world, "update", "Shop A", "--display-name", "New", "--return-line1", "1 Road")
    assert code == 1 and "needs city" in output
    code, output = _cli(label_world, "update", "Shop A", "--return-line1", "1 Road", "--return-city", "X",
                        "--return-postal-code", "1", "--return-country", "Germany")  # fmt: skip
    assert code == 1 and "two-letter country code" in output
    assert "Shop A" in _label_text(label_world, tmp_path)
    code, output = _cli(label_world, "update", "No Such Shop", "--display-name", "X")
    assert code == 1 and "No merchant" in output


def test_create_with_a_display_name(label_world: LabelWorld) -> None:
    code, output = _cli(label_world, "create", "Shop C", "--display-name", "Café Crème")
    assert code == 0, output
    assert _merchants(label_world)[-1][1:3] == ("Shop C", "Café Crème")
    code, output = _cli(label_world, "list")
    assert code == 0 and "display name" in output


def test_the_tracking_page_names_the_shop_by_its_display_name(label_world: LabelWorld) -> None:
    number = label_world.place(parcels=[{}])["parcels"][0]["tracking_number"]
    assert "From <strong>Shop A</strong>" in label_world.client.get(f"/t/{number}").text
    code, output = _cli(label_world, "update", "Shop A", "--display-name", "Northwind & Co")
    assert code == 0, output
    page = label_world.client.get(f"/t/{number}").text
    assert "From <strong>Northwind &amp; Co</strong>" in page and "Shop A" not in page
