"""``ordertrail labels``: the same labels from the command line, written to a file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from ordertrail.cli import app
from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.orders.order import Address, Customer, OrderSpec, ParcelSpec
from ordertrail.services.accounts import merchants as merchant_service
from ordertrail.services.context import Services
from ordertrail.services.orders.placing import place_order
from ordertrail.settings import Settings
from ordertrail.storage.database import open_database
from ordertrail.storage.migrate import upgrade
from tests.integration.labels_fixtures import decode, pdf_info, pdf_text, rasterize

OPERATOR = Principal(key_id=None, role=Role.ADMIN, name="test")


def _place_orders(settings: Settings) -> list[list[str]]:
    """Two orders of "Bench Shop" (two parcels, one parcel); their tracking numbers."""

    async def work(services: Services) -> list[list[str]]:
        merchant_id = await merchant_service.create_merchant(services, name="Bench Shop")
        numbers = []
        for order_number, parcels in (("CLI-1", 2), ("CLI-2", 1)):
            spec = OrderSpec(
                order_number=order_number,
                customer=Customer(name="Jean Dupont", email="jean@example.com"),
                destination=Address(line1="8 rue des Lilas", city="Lyon", postal_code="69003", country="FR"),
                parcels=tuple(ParcelSpec(weight_grams=500) for _ in range(parcels)),
            )
            view = await place_order(services, principal=OPERATOR, spec=spec, merchant_id=merchant_id)
            numbers.append([parcel.tracking_number for parcel in view.parcels])
        return numbers

    async def main() -> list[list[str]]:
        upgrade(settings.resolved_database_url)
        db = open_database(settings.resolved_database_url)
        try:
            return await work(Services(db=db))
        finally:
            await db.close()

    return asyncio.run(main())


def test_labels_command_writes_one_pdf_for_many_orders(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    numbers = _place_orders(Settings(data_dir=data_dir))
    env = {"ORDERTRAIL_DATA_DIR": str(data_dir), "ORDERTRAIL_PUBLIC_BASE_URL": "https://t.example"}
    output = tmp_path / "out" / "bench.pdf"
    output.parent.mkdir()
    result = CliRunner().invoke(app, ["labels", "CLI-2", "CLI-1", "-o", str(output), "--layout", "a6"], env=env)
    assert result.exit_code == 0, result.output
    assert "wrote 3 labels to" in result.output
    pdf = output.read_bytes()
    assert pdf_info(pdf, tmp_path)["pages"] == 3
    pages = pdf_text(pdf, tmp_path)
    assert ["Order CLI-2" in pages[0], "Order CLI-1" in pages[1], "Parcel 2 of 2" in pages[2]] == [True] * 3
    [first, *_] = rasterize(pdf, tmp_path / "png", dpi=203, mono=True)
    assert decode(first) == {"Code128": [numbers[1][0]], "QRCode": [f"https://t.example/t/{numbers[1][0]}"]}


def test_labels_command_defaults_to_labels_pdf_and_reports_unknown_orders(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    _place_orders(Settings(data_dir=data_dir))
    monkeypatch.chdir(tmp_path)
    env = {"ORDERTRAIL_DATA_DIR": str(data_dir)}
    ok = CliRunner().invoke(app, ["labels", "CLI-1", "--merchant", "Bench Shop"], env=env)
    assert ok.exit_code == 0, ok.output
    assert pdf_info((tmp_path / "labels.pdf").read_bytes(), tmp_path)["size"] == (288.0, 432.0)

    missing = CliRunner().invoke(app, ["labels", "CLI-1", "NOPE-9", "-o", str(tmp_path / "x.pdf")], env=env)
    assert missing.exit_code == 1
    assert "No order 'NOPE-9'." in missing.output
    assert not (tmp_path / "x.pdf").exists()
    other = CliRunner().invoke(app, ["labels", "CLI-1", "--merchant", "Someone Else"], env=env)
    assert other.exit_code == 1
    assert "No merchant 'Someone Else'." in other.output


def test_labels_command_names_the_merchant_flag_and_writes_into_a_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    settings = Settings(data_dir=data_dir)
    _place_orders(settings)

    async def second_shop_uses_the_same_number(services: Services) -> None:
        merchant_id = await merchant_service.create_merchant(services, name="Other Shop")
        spec = OrderSpec(
            order_number="CLI-1",
            customer=Customer(name="Ada Byron", email="ada@example.com"),
            destination=Address(line1="1 Main St", city="Leeds", postal_code="LS1 1AA", country="GB"),
            parcels=(ParcelSpec(weight_grams=300),),
        )
        await place_order(services, principal=OPERATOR, spec=spec, merchant_id=merchant_id)

    async def main() -> None:
        db = open_database(settings.resolved_database_url)
        try:
            await second_shop_uses_the_same_number(Services(db=db))
        finally:
            await db.close()

    asyncio.run(main())
    env = {"ORDERTRAIL_DATA_DIR": str(data_dir)}
    out = tmp_path / "prints"
    out.mkdir()
    both = CliRunner().invoke(app, ["labels", "CLI-1", "-o", str(out)], env=env)
    assert both.exit_code == 1
    assert "Several merchants have an order 'CLI-1'" in both.output
    assert "--merchant" in both.output
    assert list(out.iterdir()) == []

    one = CliRunner().invoke(app, ["labels", "CLI-1", "--merchant", "Other Shop", "-o", str(out)], env=env)
    assert one.exit_code == 0, one.output
    assert f"wrote 1 label to {out / 'labels.pdf'}" in one.output
    assert pdf_info((out / "labels.pdf").read_bytes(), tmp_path)["pages"] == 1
