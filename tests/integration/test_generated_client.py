"""A client generated from the running server's ``/openapi.json`` with openapi-python-client (as docs/api.md tells
a merchant to) is complete and works: every operation becomes a method named by its operation id, in a module of
its tag, and the new-user journey runs through the client's typed models, errors included."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import pkgutil
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import BIN, ROOT, ServerProcess, start_server

CONFIG = ROOT / "docs" / "openapi-python-client.yaml"
PACKAGE = "ordertrail_client"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, module_database_url: str | None) -> Iterator[ServerProcess]:
    running = start_server(
        tmp_path_factory.mktemp("client-server"),
        database_url=module_database_url,
        # The journey registers an endpoint on 127.0.0.1 (nothing listens there: no delivery is awaited).
        extra_env={"ORDERTRAIL_WEBHOOK_ALLOW_PRIVATE": "true", "ORDERTRAIL_WEBHOOK_PORTS": "*"},
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def document(server: ServerProcess) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(f"{server.base_url}/openapi.json", timeout=30).json()
    return found


@pytest.fixture(scope="module")
def generated(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The generated package's directory and the generator's output, importable as ``ordertrail_client``."""
    where = tmp_path_factory.mktemp("client")
    (where / "openapi.json").write_text(json.dumps(document))
    command = [str(BIN / "openapi-python-client"), "generate", "--path", "openapi.json", "--output-path", PACKAGE]
    result = subprocess.run(
        [*command, "--meta", "none", "--config", str(CONFIG)],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(where))
    try:
        yield where / PACKAGE, result.stdout + result.stderr
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


def operation(tag: str, operation_id: str) -> ModuleType:
    """The generated module of one operation: ``sync``, ``sync_detailed`` and their asyncio twins."""
    return module(f"api.{tag}.{operation_id}")


def test_every_operation_is_generated_as_a_method_named_by_its_id_in_its_tag(
    document: dict[str, Any], generated: tuple[Path, str]
) -> None:
    package, output = generated
    # The generator warns for whatever it leaves out or cannot type (an operation, a response, a body): here only
    # the PNG bodies of decode and of a merchant's logo, which the configuration leaves out on purpose
    # (docs/openapi-python-client.yaml): the generated calls send the bytes as JPEG's, and the server reads the
    # image's type from the bytes.
    warnings = re.findall(r"WARNING parsing (.+?)\.\s+(.+?)\n", output)
    assert warnings == [
        ("POST /api/v1/decode within accounts", "Unsupported content type image/png"),
        ("PUT /api/v1/merchants/{merchant_id}/logo within accounts", "Unsupported content type image/png"),
    ], output
    for found in pkgutil.walk_packages([str(package)], prefix=f"{PACKAGE}."):
        importlib.import_module(found.name)  # every module of it imports
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            (tag,) = operation["tags"]
            assert (package / "api" / tag / f"{operation['operationId']}.py").is_file(), (method, path)


def test_the_generated_client_passes_mypy_strict(generated: tuple[Path, str]) -> None:
    """Its models and calls are typed well enough for a merchant's own strictly typed code."""
    package, _ = generated
    result = subprocess.run(
        [str(BIN / "mypy"), "--strict", "--no-incremental", PACKAGE],
        cwd=package.parent,  # no project's configuration there
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_new_user_journey_through_the_generated_client(
    server: ServerProcess, generated: tuple[Path, str], request: pytest.FixtureRequest
) -> None:
    models = module("models")
    client_module = module("client")
    create_order = operation("orders", "create_order")
    list_endpoints = operation("notifying", "list_webhook_endpoints")

    assert server.cli("merchants", "create", "Client Shop").returncode == 0
    merchant_key = _key(server, "--role", "merchant", "--name", "shop backend", "--merchant", "Client Shop")
    scanner_key = _key(server, "--role", "scanner", "--name", "dock 3")
    clients = contextlib.ExitStack()  # each client holds a connection pool: closed at the end
    request.addfinalizer(clients.close)
    merchant = clients.enter_context(client_module.AuthenticatedClient(base_url=server.base_url, token=merchant_key))
    scanner = clients.enter_context(client_module.AuthenticatedClient(base_url=server.base_url, token=scanner_key))
    public = clients.enter_context(client_module.Client(base_url=server.base_url))

    # The merchant places an order of two parcels.
    start = datetime.now(UTC) - timedelta(hours=6)
    order_number = f"CL-{uuid.uuid4().hex[:8]}"
    new_order = models.OrderCreate(
        order_number=order_number,
        placed_at=start,
        customer=models.CustomerIn(name="Ada Lovelace", email="ada@example.com"),
        destination=models.AddressIn(line1="12 Analytical Row", city="London", postal_code="N1 9GU", country="GB"),
        parcels=[models.ParcelIn(weight_grams=1200), models.ParcelIn(weight_grams=800, reference="charger")],
    )
    placed = create_order.sync_detailed(client=merchant, body=new_order)
    assert placed.status_code == 201, placed.content
    order = placed.parsed
    assert isinstance(order, models.OrderOut) and len(order.parcels) == 2
    assert order.parcels[0].status == models.Status.ORDER_PLACED
    number = order.parcels[0].tracking_number

    # Placing it again is a typed problem naming the field (a retry after a lost answer).
    again = create_order.sync_detailed(client=merchant, body=new_order)
    assert again.status_code == 409 and isinstance(again.parsed, models.Problem)
    assert [e.field for e in again.parsed.errors] == ["order_number"]

    # A scanner scans the first parcel through to delivery.
    record_scan = operation("scanning", "record_scan")
    steps = ["packed", "dispatched", "in_transit", "out_for_delivery", "delivered"]
    for hours_ago, status in zip(range(len(steps), 0, -1), steps, strict=True):
        scan = models.ScanIn(
            event_id=uuid.uuid4(),
            tracking_number=number,
            status=models.ScanInStatus(status),
            occurred_at=datetime.now(UTC) - timedelta(hours=hours_ago),
            location=models.LocationIn(facility="Leeds DC", city="Leeds", country="GB"),
        )
        answer = record_scan.sync(client=scanner, body=scan)
        assert isinstance(answer, models.ScanOut), answer
        assert answer.outcome == models.Outcome.CREATED and answer.parcel.status == models.Status(status)

    # Anyone reads the public tracking, without a key.
    seen = operation("tracking", "get_tracking").sync(client=public, tracking_number=number)
    assert isinstance(seen, models.TrackingOut)
    assert seen.status == models.Status.DELIVERED
    assert [event.status.value for event in seen.events] == ["order_placed", *steps]

    # The merchant registers a webhook endpoint and gets its secret once.
    endpoint = operation("notifying", "create_webhook_endpoint").sync(
        client=merchant,
        body=models.WebhookEndpointCreate(url="http://127.0.0.1:9/hooks", event_types=["parcel.delivered"]),
    )
    assert isinstance(endpoint, models.WebhookEndpointSecretOut), endpoint
    assert endpoint.secret.startswith("whsec_") and endpoint.event_types == ["parcel.delivered"]
    listed = list_endpoints.sync(client=merchant)
    assert isinstance(listed, models.WebhookEndpointListOut)
    assert [e.id for e in listed.webhook_endpoints] == [endpoint.id]

    # The scanner station's fallback reads the barcodes of a JPEG frame (this one has none).
    frame = io.BytesIO()
    Image.new("RGB", (64, 48), "white").save(frame, format="JPEG")
    types = module("types")
    decoded = operation("accounts", "decode_barcodes").sync(
        client=scanner, body=types.File(payload=io.BytesIO(frame.getvalue()), mime_type="image/jpeg")
    )
    assert isinstance(decoded, models.DecodedFrameOut) and decoded.barcodes == []

    # The merchant sets its logo; a PNG goes through the JPEG-typed call, and is taken for what it decodes to.
    merchant_id = operation("accounts", "list_merchant_settings").sync(client=merchant).merchants[0].id
    logo = io.BytesIO()
    Image.new("RGB", (120, 40), "navy").save(logo, format="PNG")
    shown = operation("accounts", "set_merchant_logo").sync(
        client=merchant, merchant_id=merchant_id, body=types.File(payload=io.BytesIO(logo.getvalue()))
    )
    assert isinstance(shown, models.MerchantSettingsOut) and shown.logo is not None
    assert shown.logo.media_type == "image/png" and (shown.logo.width, shown.logo.height) == (120, 40)

    # A scanner key may not read the merchant's endpoints: a typed 403 problem.
    refused = list_endpoints.sync(client=scanner)
    assert isinstance(refused, models.Problem) and refused.status == 403


def _key(server: ServerProcess, *args: str) -> str:
    result = server.cli("keys", "create", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]
