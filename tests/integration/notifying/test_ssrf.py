"""SSRF protection: webhook URLs that lead inside the network are refused at registration and at send time."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.responses import Response

from ordertrail.adapters.destinations import check_destination
from ordertrail.domain.errors import UnsafeWebhookUrl
from ordertrail.domain.notifying.addresses import IPAddress
from ordertrail.settings import Settings
from tests.conftest import auth, wait_for
from tests.support.notify import Receiver, outbox_rows, receiver, second_receiver

__all__ = ["receiver", "second_receiver"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", public_base_url="http://testserver", webhook_retry_delays="50ms")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/hooks", "loopback"),
        ("http://[::1]/hooks", "loopback"),
        ("http://localhost/hooks", "loopback"),  # a name that resolves to loopback
        ("https://10.1.2.3/hooks", "private"),
        ("https://172.16.5.4/hooks", "private"),
        ("https://192.168.0.10/hooks", "private"),
        ("https://[fd12:3456::1]/hooks", "private"),
        ("https://[::ffff:10.0.0.1]/hooks", "private"),  # IPv4-mapped IPv6
        ("https://100.64.0.1/hooks", "private"),  # carrier-grade NAT: not global
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://169.254.10.10/", "link-local"),
        ("http://0.0.0.0/", "unicast"),
        ("ftp://example.com/", "https://"),
        ("https://user:pw@example.com/", "credentials"),
        ("http://[2002:a9fe:a9fe::]/", "metadata"),  # 6to4 around 169.254.169.254
        ("http://93.184.216.34:6379/", "port 6379"),
    ],
)
def test_registration_refuses_internal_urls(
    client: TestClient, make_key: Callable[..., str], url: str, why: str
) -> None:
    key = make_key("merchant", merchant="Test Shop")
    response = client.post("/api/v1/webhook-endpoints", json={"url": url}, headers=auth(key))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["errors"][0]["field"] == "url"
    assert why in problem["detail"]
    # Only a refusal the setting would lift names it: metadata and link-local stay refused whatever it says.
    assert ("ORDERTRAIL_WEBHOOK_ALLOW_PRIVATE" in problem["detail"]) == (why in ("loopback", "private"))
    assert ("ORDERTRAIL_WEBHOOK_PORTS" in problem["detail"]) == why.startswith("port ")


TRANSITION_FORMS_AND_PORTS = [
    # IPv6 transition forms are judged by the IPv4 address they embed.
    ("http://[2002:7f00:1::]/", "loopback"),  # 6to4 around 127.0.0.1
    ("http://[2002:a9fe:a9fe::]/", "metadata"),  # 6to4 around 169.254.169.254
    ("http://[2002:a00:1::]/", "private"),  # 6to4 around 10.0.0.1
    ("http://[64:ff9b::7f00:1]/", "loopback"),  # NAT64 well-known prefix around 127.0.0.1
    ("http://[64:ff9b::a9fe:a9fe]/", "metadata"),
    ("http://[64:ff9b::c0a8:1]/", "private"),  # NAT64 around 192.168.0.1
    ("http://[64:ff9b:1::a00:1]/", "NAT64"),  # local-use NAT64: the operator's own network
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "loopback"),  # Teredo, client ~0x80fffffe = 127.0.0.1
    ("http://[2001:0:4136:e378:8000:63bf:5601:5601]/", "metadata"),  # Teredo client 169.254.169.254
    ("http://[2001:0:4136:e378::f5ff:fffe]/", "private"),  # Teredo client 10.0.0.1
    ("http://[::ffff:169.254.169.254]/", "metadata"),  # IPv4-mapped
    ("http://[::7f00:1]/", "loopback"),  # IPv4-compatible ::127.0.0.1
    ("http://[::a00:1]/", "private"),  # IPv4-compatible ::10.0.0.1
    # Ports: 80 and 443 only, unless ORDERTRAIL_WEBHOOK_PORTS allows others.
    ("http://93.184.216.34:0/", "port 0"),
    ("http://93.184.216.34:6379/", "port 6379"),
    ("https://93.184.216.34:8443/", "port 8443"),
    ("http://[2606:2800:220:1::1]:22/", "port 22"),
]


@pytest.mark.parametrize(("url", "why"), TRANSITION_FORMS_AND_PORTS)
def test_embedded_private_addresses_and_other_ports_are_refused(url: str, why: str) -> None:
    with pytest.raises(UnsafeWebhookUrl, match=why):
        asyncio.run(check_destination(url, allow_private=False))


@pytest.mark.parametrize(
    "url",
    ["http://93.184.216.34/", "https://93.184.216.34/", "http://[2002:5db8:d822::1]/", "http://[64:ff9b::5db8:d822]/"],
)
def test_public_addresses_on_web_ports_are_accepted(url: str) -> None:
    # Transition forms around a public IPv4 address are as good as the address itself.
    found = asyncio.run(check_destination(url, allow_private=False))
    assert found.port in (80, 443)


def test_other_ports_only_when_the_setting_allows_them() -> None:
    url = "https://93.184.216.34:8443/in"
    assert asyncio.run(check_destination(url, allow_private=False, ports=frozenset({443, 8443}))).port == 8443
    assert asyncio.run(check_destination(url, allow_private=False, ports=None)).port == 8443
    with pytest.raises(UnsafeWebhookUrl, match="port 0"):
        asyncio.run(check_destination("http://93.184.216.34:0/", allow_private=False, ports=None))
    with pytest.raises(ValueError, match="ports"):
        Settings(webhook_ports="80,http")


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    async def resolver(host: str, port: int) -> list[IPAddress]:
        # As a DNS server under an attacker's control might answer: one public address, one private.
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.7")]

    with pytest.raises(UnsafeWebhookUrl, match=r"hooks\.example\.com \(10\.0\.0\.7\).*private"):
        asyncio.run(check_destination("https://hooks.example.com/in", allow_private=False, resolver=resolver))

    async def public(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("93.184.216.34")]

    found = asyncio.run(check_destination("https://hooks.example.com/in", allow_private=False, resolver=public))
    assert str(found.address) == "93.184.216.34" and found.host == "hooks.example.com" and found.port == 443


def test_metadata_stays_refused_when_private_addresses_are_allowed() -> None:
    for url in ("http://169.254.169.254/", "http://[fd00:ec2::254]/", "http://100.100.100.200/"):
        with pytest.raises(UnsafeWebhookUrl, match="metadata"):
            asyncio.run(check_destination(url, allow_private=True))
    assert asyncio.run(check_destination("http://10.0.0.1/", allow_private=True)).port == 80


def make_client(tmp_path: Path, *, allow_private: bool) -> TestClient:
    from ordertrail.app import create_app

    settings = Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        webhook_allow_private=allow_private,
        webhook_ports="*",  # the receivers listen on ports of their own
        webhook_retry_delays="50ms",
    )
    return TestClient(create_app(settings))


def test_redirect_to_a_private_address_is_not_followed(
    tmp_path: Path,
    make_key: Callable[..., str],
    receiver: Receiver,
    second_receiver: Receiver,
) -> None:
    # No fixture of the suite's own app here (``make_order`` would start one): its delivery worker, with the
    # default ports, would race this app's for the same outbox and refuse the receiver's port.
    key = make_key("merchant", merchant="Test Shop")
    with make_client(tmp_path, allow_private=True) as client:
        receiver.behaviour = lambda *_: Response(status_code=307, headers={"Location": second_receiver.url})
        endpoint = client.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth(key)).json()
        assert client.post("/api/v1/orders", json=_order(), headers=auth(key)).status_code == 201
        path = f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries"
        log = wait_for(lambda: len(d := client.get(path, headers=auth(key)).json()["deliveries"]) == 2 and d)
    assert [a["status_code"] for a in log] == [307, 307], [(a["status_code"], a["error"]) for a in log]
    assert all("not followed" in a["error"] and not a["succeeded"] for a in log)
    assert len(receiver.snapshot()) == 2
    assert second_receiver.snapshot() == []  # the redirect target never heard a thing


def test_send_time_check_refuses_an_endpoint_that_now_leads_inside(
    tmp_path: Path, make_key: Callable[..., str], receiver: Receiver
) -> None:
    key = make_key("merchant", merchant="Test Shop")
    with make_client(tmp_path, allow_private=True) as client:  # registered while private addresses were allowed
        endpoint = client.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth(key)).json()
    with make_client(tmp_path, allow_private=False) as client:
        assert client.post("/api/v1/orders", json=_order(), headers=auth(key)).status_code == 201
        path = f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries"
        log = wait_for(lambda: len(d := client.get(path, headers=auth(key)).json()["deliveries"]) == 2 and d)
    assert all(a["status_code"] is None and "refused" in a["error"] and "loopback" in a["error"] for a in log)
    assert receiver.snapshot() == []
    rows = [
        r for r in outbox_rows(Settings(data_dir=tmp_path / "data").resolved_database_url) if r["channel"] == "webhook"
    ]
    assert [r["state"] for r in rows] == ["dead"]


def _order() -> dict[str, Any]:
    from tests.conftest import order_body

    return order_body()
