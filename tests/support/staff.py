"""Staff accounts for tests: invited through the real use case, password chosen and signed in over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
from fastapi.testclient import TestClient

from ordertrail.domain.staff.audit import Actor, ActorKind
from ordertrail.domain.staff.roles import StaffRole
from ordertrail.runtime import staff_rules
from ordertrail.services.context import Services
from ordertrail.services.staff import accounts
from ordertrail.settings import Settings

PASSWORD = "marble quiet orchard 42"
# Cheap Argon2 parameters: the tests check behaviour, not hashing cost.
FAST_HASHING: dict[str, Any] = {"password_time_cost": 1, "password_memory_kib": 256}
# The same, for a server process started by a test.
FAST_HASHING_ENV = {f"ORDERTRAIL_{name.upper()}": str(value) for name, value in FAST_HASHING.items()}
TEST_ACTOR = Actor(kind=ActorKind.CLI, name="tests", address="cli")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

Client = TestClient | httpx.Client


def invite(
    run_services: Callable[..., Any], settings: Settings, email: str, role: str, merchants: tuple[str, ...] = ()
) -> str:
    """Create the account; returns its invitation URL."""

    async def work(services: Services) -> str:
        invitation = await accounts.invite_user(
            services,
            staff_rules(settings.staff),
            actor=TEST_ACTOR,
            email=email,
            role=StaffRole(role),
            merchants=merchants,
        )
        return invitation.url

    url: str = run_services(work)
    return url


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, html
    return found.group(1)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def choose_password(client: Client, invitation_url: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get(path_of(invitation_url))
    assert page.status_code == 200, page.text
    return client.post(
        path_of(invitation_url),
        data={"csrf_token": csrf_of(page.text), "password": password, "password_again": password},
        follow_redirects=False,
    )


def sign_in(client: Client, email: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/console/login")
    return client.post(
        "/console/login",
        data={"csrf_token": csrf_of(page.text), "email": email, "password": password, "next": "/console"},
        follow_redirects=False,
    )


def staff_user(
    client: Client, run_services: Callable[..., Any], settings: Settings, email: str, role: str, *merchants: str
) -> None:
    """Invite, choose the password and sign ``client`` in."""
    assert choose_password(client, invite(run_services, settings, email, role, merchants)).status_code == 303
    response = sign_in(client, email)
    assert response.status_code == 303, response.text
