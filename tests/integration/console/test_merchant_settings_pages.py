"""Merchant settings in the console (``/console/settings``) and their API (``/api/v1/merchants``,
``/api/v1/webhook-endpoints`` with a staff session): a merchant user registers an endpoint from the page, a test
event arrives signed at a real receiver, a rotated secret signs the next delivery; a key created on the page works
and stops working once revoked; every change is in the audit log; shop A's user reaches none of shop B's settings;
support staff manage nothing; a form without its CSRF token changes nothing."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from ordertrail.settings import Settings
from tests.conftest import auth, wait_for
from tests.support.notify import Received, Receiver, receiver
from tests.support.staff import FAST_HASHING, csrf_of, staff_user

__all__ = ["receiver"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        webhook_allow_private=True,  # the receiver listens on 127.0.0.1
        webhook_ports="*",
        **FAST_HASHING,
    )


def _merchant_ids(client: TestClient, make_key: Callable[..., str]) -> dict[str, int]:
    """Shop A and Shop B, by the id an admin key reads for each."""
    admin = make_key("admin")
    make_key("merchant", merchant="Shop A"), make_key("merchant", merchant="Shop B")
    listed = client.get("/api/v1/merchants", headers=auth(admin))
    assert listed.status_code == 200, listed.text
    return {m["name"]: m["id"] for m in listed.json()["merchants"]}


def _post(client: TestClient, path: str, page: str, **data: Any) -> Any:
    return client.post(path, data={"csrf_token": csrf_of(page), **data}, follow_redirects=False)


def _shown(page: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}" class="mono" readonly size="60" value="([^"]+)"', page)
    assert found is not None, page
    return html.unescape(found.group(1))


def _tests(receiver: Receiver) -> list[Received]:
    return [r for r in receiver.snapshot() if b'"webhook.test"' in r.body]


def _signs(secret: str, received: Received) -> bool:
    try:
        Webhook(secret).verify(received.body, received.headers)
    except (WebhookVerificationError, ValueError):
        return False
    return True


def _audit(client: TestClient, key: str) -> list[str]:
    entries = client.get("/api/v1/audit-log", headers=auth(key)).json()["entries"]
    return [e["action"] for e in entries]


def test_a_merchant_user_manages_endpoints_and_keys_from_the_page(
    client: TestClient,
    make_key: Callable[..., str],
    run_services: Callable[..., Any],
    settings: Settings,
    receiver: Receiver,
) -> None:
    ids = _merchant_ids(client, make_key)
    staff_user(client, run_services, settings, "owner@shop-a.example", "merchant", "Shop A")
    index = client.get("/console/settings", follow_redirects=False)
    assert index.status_code == 303 and index.headers["location"] == f"/console/settings/{ids['Shop A']}"
    page = client.get(index.headers["location"])
    assert page.status_code == 200 and "No webhook endpoints yet." in page.text

    # The name customers see and the support contact.
    saved = _post(
        client,
        f"/console/settings/{ids['Shop A']}",
        page.text,
        display_name="  Northwind   Outdoor ",
        support_email="help@northwind.example",
        support_url="https://northwind.example/help",
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved")
    page = client.get(saved.headers["location"])
    assert "Settings saved." in page.text and 'value="Northwind Outdoor"' in page.text
    bad = _post(client, f"/console/settings/{ids['Shop A']}", page.text, support_email="not an address")
    assert bad.status_code == 422 and "An email address such as help@example.com." in bad.text
    assert 'value="not an address"' in bad.text  # the draft is kept to correct

    # An endpoint registered from the page: its secret is shown once.
    created = _post(
        client,
        f"/console/settings/{ids['Shop A']}/endpoints",
        page.text,
        url=receiver.url,
        description="shop backend",
        event_types="parcel.delivered",
    )
    assert created.status_code == 200, created.text
    first_secret = _shown(created.text, "new-secret-value")
    assert first_secret.startswith("whsec_") and "Copy the secret now" in created.text
    again = client.get(f"/console/settings/{ids['Shop A']}").text
    assert first_secret not in again and receiver.url in again
    [endpoint_id] = [int(i) for i in re.findall(r'id="endpoint-(\d+)"', again)]

    # A test event, signed with that secret, at a real receiver; the page lists the delivery.
    sent = _post(client, f"/console/settings/{ids['Shop A']}/endpoints/{endpoint_id}/test", again)
    assert sent.status_code == 303 and sent.headers["location"].endswith("?done=test_sent")
    [first] = wait_for(lambda: _tests(receiver), timeout=20, what="the test event")
    assert _signs(first_secret, first)
    deliveries = f"/console/settings/{ids['Shop A']}/endpoints/{endpoint_id}"
    listed = wait_for(lambda: "Delivered" in (t := client.get(deliveries).text) and t, what="the delivery listed")
    assert first.webhook_id in listed and "HTTP 200" in listed

    # Rotated: the new secret (shown once) signs the next delivery; the first event never verified with it.
    rotated = _post(client, f"/console/settings/{ids['Shop A']}/endpoints/{endpoint_id}/rotate", again)
    assert rotated.status_code == 200, rotated.text
    new_secret = _shown(rotated.text, "new-secret-value")
    assert new_secret != first_secret and "The previous secret keeps signing" in rotated.text
    _post(client, f"/console/settings/{ids['Shop A']}/endpoints/{endpoint_id}/test", rotated.text)
    second = wait_for(lambda: (got := _tests(receiver))[1:] and got[1], timeout=20, what="the second test event")
    assert _signs(new_secret, second) and not _signs(new_secret, first)

    # A key created on the page works until it is revoked there.
    made = _post(client, f"/console/settings/{ids['Shop A']}/keys", again, name="warehouse system")
    assert made.status_code == 200, made.text
    key = _shown(made.text, "new-key-value")
    assert (
        client.get("/api/v1/webhook-endpoints", headers=auth(key)).json()["webhook_endpoints"][0]["id"] == endpoint_id
    )
    [key_id] = re.findall(
        r'keys/(\d+)/revoke"[^<]*>\s*<input[^>]*>\s*<button[^>]*"Revoke the key warehouse system"', made.text
    )
    revoked = _post(client, f"/console/settings/{ids['Shop A']}/keys/{key_id}/revoke", made.text)
    assert revoked.status_code == 303 and revoked.headers["location"].endswith("?done=key_revoked")
    assert client.get("/api/v1/webhook-endpoints", headers=auth(key)).status_code == 401
    assert "Revoked" in client.get(revoked.headers["location"]).text

    deleted = _post(client, f"/console/settings/{ids['Shop A']}/endpoints/{endpoint_id}/delete", again)
    assert deleted.status_code == 303
    assert "No webhook endpoints yet." in client.get(deleted.headers["location"]).text

    # Each change is audited, under the person who made it.
    actions = _audit(client, make_key("admin"))
    assert actions[:8] == [
        "webhook_endpoint.deleted",
        "key.revoked",
        "key.created",
        "webhook_endpoint.test_sent",
        "webhook_endpoint.secret_rotated",
        "webhook_endpoint.test_sent",
        "webhook_endpoint.created",
        "merchant.settings_changed",
    ]
    admin = make_key("admin")
    entries = client.get("/api/v1/audit-log", headers=auth(admin), params={"action": "merchant.settings_changed"})
    [change] = entries.json()["entries"]
    assert change["actor"]["name"] == "owner@shop-a.example" and change["merchant_id"] == ids["Shop A"]
    assert change["detail"]["display_name"] == {"from": None, "to": "Northwind Outdoor"}


def test_shop_a_reaches_none_of_shop_bs_settings(
    client: TestClient,
    make_key: Callable[..., str],
    run_services: Callable[..., Any],
    settings: Settings,
    receiver: Receiver,
) -> None:
    ids = _merchant_ids(client, make_key)
    shop_b_key = make_key("merchant", merchant="Shop B")
    theirs = client.post("/api/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth(shop_b_key)).json()
    b_keys = client.get(f"/api/v1/merchants/{ids['Shop B']}/keys", headers=auth(shop_b_key)).json()["keys"]
    staff_user(client, run_services, settings, "owner@shop-a.example", "merchant", "Shop A")
    own = client.get(f"/console/settings/{ids['Shop A']}").text
    b = ids["Shop B"]

    for path in (f"/console/settings/{b}", f"/console/settings/{b}/endpoints/{theirs['id']}"):
        assert client.get(path).status_code == 404, path
    # Shop B's endpoint under shop A's own address: still not found.
    assert client.get(f"/console/settings/{ids['Shop A']}/endpoints/{theirs['id']}").status_code == 404
    for path, data in (
        (f"/console/settings/{b}", {"display_name": "Taken over"}),
        (f"/console/settings/{b}/keys", {"name": "mine now"}),
        (f"/console/settings/{b}/keys/{b_keys[0]['id']}/revoke", {}),
        (f"/console/settings/{b}/endpoints", {"url": receiver.url}),
        (f"/console/settings/{b}/endpoints/{theirs['id']}/rotate", {}),
        (f"/console/settings/{b}/endpoints/{theirs['id']}/delete", {}),
        (f"/console/settings/{ids['Shop A']}/endpoints/{theirs['id']}/delete", {}),
        (f"/console/settings/{ids['Shop A']}/keys/{b_keys[0]['id']}/revoke", {}),
    ):
        assert _post(client, path, own, **data).status_code == 404, path
    # The API with the session (and its CSRF token) answers the same.
    headers = {"X-CSRF-Token": csrf_of(own)}
    assert client.patch(f"/api/v1/merchants/{b}", json={"display_name": "x"}, headers=headers).status_code == 404
    assert client.post(f"/api/v1/webhook-endpoints/{theirs['id']}/rotate-secret", headers=headers).status_code == 404
    assert client.delete(f"/api/v1/merchants/{b}/keys/{b_keys[0]['id']}", headers=headers).status_code == 404
    assert [m["name"] for m in client.get("/api/v1/merchants").json()["merchants"]] == ["Shop A"]
    assert client.get("/api/v1/webhook-endpoints").json() == {"webhook_endpoints": []}
    assert f"/console/settings/{b}" not in client.get("/console/settings", follow_redirects=True).text

    # Nothing of shop B's changed: its key works, its endpoint and name are as they were.
    assert client.get(f"/api/v1/merchants/{b}", headers=auth(shop_b_key)).json()["display_name"] is None
    assert client.get(f"/api/v1/webhook-endpoints/{theirs['id']}", headers=auth(shop_b_key)).status_code == 200
    assert len(client.get(f"/api/v1/merchants/{b}/keys", headers=auth(shop_b_key)).json()["keys"]) == len(b_keys)


def test_support_staff_and_forms_without_the_token_change_nothing(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    ids = _merchant_ids(client, make_key)
    a = ids["Shop A"]
    staff_user(client, run_services, settings, "owner@shop-a.example", "merchant", "Shop A")
    refused = client.post(f"/console/settings/{a}", data={"display_name": "Forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.patch(f"/api/v1/merchants/{a}", json={"display_name": "Forged"}).status_code == 403
    assert "Forged" not in client.get(f"/console/settings/{a}").text

    client.cookies.clear()
    staff_user(client, run_services, settings, "help@shop-a.example", "support", "Shop A")
    assert 'href="/console/settings"' not in client.get("/console").text
    assert client.get("/console/settings").status_code == 403
    assert client.get(f"/console/settings/{a}").status_code == 403
    token = csrf_of(client.get("/console/parcels").text)
    assert client.post(f"/console/settings/{a}/keys", data={"csrf_token": token, "name": "k"}).status_code == 403
    assert client.get("/api/v1/merchants").status_code == 403
    assert (
        client.post(
            "/api/v1/webhook-endpoints", json={"url": "https://example.com/h"}, headers={"X-CSRF-Token": token}
        ).status_code
        == 403
    )
    assert "merchant.settings_changed" not in _audit(client, make_key("admin"))


def test_the_api_changes_settings_for_keys_too(client: TestClient, make_key: Callable[..., str]) -> None:
    ids = _merchant_ids(client, make_key)
    shop_a = make_key("merchant", merchant="Shop A")
    a = ids["Shop A"]
    changed = client.patch(
        f"/api/v1/merchants/{a}", json={"display_name": "Northwind", "support_url": ""}, headers=auth(shop_a)
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["shown_name"] == "Northwind" and changed.json()["support_url"] is None
    invalid = client.patch(f"/api/v1/merchants/{a}", json={"support_url": "ftp://x"}, headers=auth(shop_a))
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "support_url"
    # The same body again changes nothing and is not audited twice.
    client.patch(f"/api/v1/merchants/{a}", json={"display_name": "Northwind"}, headers=auth(shop_a))
    assert _audit(client, make_key("admin")).count("merchant.settings_changed") == 1
    made = client.post(f"/api/v1/merchants/{a}/keys", json={"name": "backend"}, headers=auth(shop_a))
    assert made.status_code == 201 and made.json()["key"].startswith("ot_merchant_")
    assert client.delete(f"/api/v1/merchants/{a}/keys/{made.json()['id']}", headers=auth(shop_a)).status_code == 204
    assert client.get("/api/v1/merchants", headers=auth(made.json()["key"])).status_code == 401
    assert client.delete(f"/api/v1/merchants/{a}/keys/{made.json()['id']}", headers=auth(shop_a)).status_code == 404
    assert client.get(f"/api/v1/merchants/{ids['Shop B']}", headers=auth(shop_a)).status_code == 404


def test_the_weekly_report_is_turned_on_from_the_page_audited_and_only_with_the_token(
    client: TestClient, make_key: Callable[..., str], run_services: Callable[..., Any], settings: Settings
) -> None:
    ids = _merchant_ids(client, make_key)
    a, b = ids["Shop A"], ids["Shop B"]
    staff_user(client, run_services, settings, "owner@shop-a.example", "merchant", "Shop A")
    page = client.get(f"/console/settings/{a}").text
    assert 'id="r-enabled" name="enabled" type="checkbox" value="on">' in page  # off until chosen

    forged = client.post(f"/console/settings/{a}/weekly-report", data={"enabled": "on", "recipients": "x@evil.example"})
    assert forged.status_code == 403
    bad = _post(
        client, f"/console/settings/{a}/weekly-report", page, enabled="on", recipients="ops@shop-a.example nope"
    )
    assert bad.status_code == 422 and "&#39;nope&#39; is not an email address." in bad.text
    assert "ops@shop-a.example nope</textarea>" in bad.text  # the draft is kept to correct
    none = _post(client, f"/console/settings/{a}/weekly-report", page, enabled="on", recipients=" ")
    assert none.status_code == 422 and "Name at least one address" in none.text

    saved = _post(
        client,
        f"/console/settings/{a}/weekly-report",
        page,
        enabled="on",
        recipients="Ops@Shop-A.example,\nboss@shop-a.example",
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=report_saved")
    page = client.get(saved.headers["location"]).text
    assert "Weekly report saved." in page and 'value="on" checked>' in page
    assert "ops@shop-a.example\nboss@shop-a.example</textarea>" in page
    again = _post(
        client,
        f"/console/settings/{a}/weekly-report",
        page,
        enabled="on",
        recipients="ops@shop-a.example boss@shop-a.example",
    )
    assert again.status_code == 303  # the same choice: no second audit entry
    # The API answers the same, for the session too; another shop's answers 404.
    assert client.get(f"/api/v1/merchants/{a}/weekly-report").json() == {
        "enabled": True,
        "recipients": ["ops@shop-a.example", "boss@shop-a.example"],
    }
    assert client.get(f"/api/v1/merchants/{b}/weekly-report").status_code == 404
    assert client.post(f"/console/settings/{b}/weekly-report", data={"csrf_token": csrf_of(page)}).status_code == 404
    assert _audit(client, make_key("admin")).count("merchant.weekly_report_changed") == 1

    off = _post(client, f"/console/settings/{a}/weekly-report", page, recipients="ops@shop-a.example")
    assert off.status_code == 303
    assert client.get(f"/api/v1/merchants/{a}/weekly-report").json()["enabled"] is False
