"""Two-step sign-in (TOTP) over real HTTP and a real store, with codes computed here from the secret the page
shows and the test's clock: set up and confirmed by a code, then asked for after the password; a code used once
is refused again; wrong codes lock the account like wrong passwords; turned off with a code; removed by an admin
(alone, and with ``users reset``); every change in the audit log."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ordertrail.app import create_app
from ordertrail.domain.staff import totp
from ordertrail.runtime import staff_rules
from ordertrail.services.context import Services
from ordertrail.services.staff import accounts, second_factor
from ordertrail.settings import Settings
from tests.conftest import auth
from tests.support.clock import FakeClock
from tests.support.staff import FAST_HASHING, TEST_ACTOR, csrf_of, sign_in, staff_user

EMAIL = "ops@example.com"
PAGE = "/console/account/two-step"
_SECRET = re.compile(r'id="totp-secret">([A-Z2-7 ]+)<')
_CHALLENGE = re.compile(r'name="challenge" value="([^"]+)"')


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", public_base_url="http://testserver", staff_lockout_failures=3, **FAST_HASHING
    )


@pytest.fixture
def clock() -> FakeClock:
    # Ten seconds into a step: the test moves by whole steps, so every code it computes stays in its own step.
    return FakeClock(datetime(2026, 12, 2, 9, 0, 10, tzinfo=UTC))


@pytest.fixture
def new_client(settings: Settings, clock: FakeClock) -> Iterator[Callable[[], TestClient]]:
    opened: list[TestClient] = []

    def open_one() -> TestClient:
        client = TestClient(create_app(settings, clock=clock), base_url="http://testserver")
        client.__enter__()
        opened.append(client)
        return client

    yield open_one
    for client in opened:
        client.__exit__(None, None, None)


def code(secret: str, clock: FakeClock, steps: int = 0) -> str:
    return totp.code_for_step(secret, totp.step_at(clock.now) + steps)


def post(client: TestClient, path: str, **data: str) -> httpx.Response:
    return client.post(path, data={"csrf_token": csrf_of(client.get(PAGE).text), **data}, follow_redirects=False)


def turn_on(client: TestClient, clock: FakeClock) -> str:
    """Set up and confirm on the page, as a person does; returns the secret the page showed."""
    assert post(client, f"{PAGE}/setup").status_code == 303
    shown = client.get(PAGE).text
    found = _SECRET.search(shown)
    assert found is not None, shown
    secret = found.group(1).replace(" ", "")
    assert f"otpauth://totp/ordertrail:{EMAIL}?secret={secret}&amp;issuer=ordertrail" in shown
    confirmed = post(client, f"{PAGE}/confirm", code=code(secret, clock))
    assert confirmed.status_code == 303 and confirmed.headers["location"] == f"{PAGE}?done=on"
    return secret


def password_step(client: TestClient) -> str:
    """Sign in with the password; the answer is the code page. Returns its challenge."""
    response = sign_in(client, EMAIL)
    assert response.status_code == 200 and "Enter your sign-in code" in response.text, response.text
    assert "ot_session=" not in response.headers.get("set-cookie", "")
    found = _CHALLENGE.search(response.text)
    assert found is not None
    return found.group(1)


def code_step(client: TestClient, challenge: str, typed: str) -> httpx.Response:
    token = csrf_of(client.get("/console/login").text)  # the pre-sign-in double-submit token
    return client.post(
        "/console/login/code",
        data={"csrf_token": token, "challenge": challenge, "code": typed, "next": "/console/parcels"},
        follow_redirects=False,
    )


def not_the_code(secret: str, clock: FakeClock) -> str:
    """A six-digit code no step in the window has."""
    taken = {code(secret, clock, steps) for steps in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in taken)


def actions(client: TestClient, admin_key: str) -> list[str]:
    response = client.get("/api/v1/audit-log", headers=auth(admin_key))
    assert response.status_code == 200, response.text
    return [e["action"] for e in response.json()["entries"]]


def test_set_up_then_sign_in_asks_for_the_code_and_a_used_code_is_refused(
    new_client: Callable[[], TestClient],
    run_services: Callable[..., Any],
    settings: Settings,
    clock: FakeClock,
    make_key: Callable[..., str],
) -> None:
    admin = make_key("admin", name="auditor")
    person = new_client()
    staff_user(person, run_services, settings, EMAIL, "admin")
    assert "Two-step sign-in is <strong>off</strong>" in person.get(PAGE).text

    # A wrong code does not turn it on; a reload shows the same pending secret.
    assert post(person, f"{PAGE}/setup").status_code == 303
    pending = _SECRET.search(person.get(PAGE).text)
    assert pending is not None
    secret = pending.group(1).replace(" ", "")
    wrong = post(person, f"{PAGE}/confirm", code=not_the_code(secret, clock))
    assert wrong.status_code == 422 and "not right" in wrong.text and pending.group(1) in wrong.text
    assert sign_in(new_client(), EMAIL).status_code == 303  # pending is not on: the password alone still works
    secret = turn_on(person, clock)  # (a second setup: a new secret)
    assert "Two-step sign-in is <strong>on</strong>" in person.get(PAGE).text
    assert secret not in person.get(PAGE).text  # once on, the secret is never shown again

    laptop = new_client()
    challenge = password_step(laptop)
    # The code that confirmed the setup is from this same step: used, so refused.
    replay = code_step(laptop, challenge, code(secret, clock))
    assert replay.status_code == 401 and "already used" in replay.text
    clock.advance(timedelta(seconds=30))
    fresh = code(secret, clock)
    signed = code_step(laptop, challenge, fresh)
    assert signed.status_code == 303 and signed.headers["location"] == "/console/parcels"
    assert "ot_session=" in signed.headers["set-cookie"]
    assert laptop.get("/console").status_code == 200
    # The challenge worked once.
    assert code_step(laptop, challenge, code(secret, clock, 1)).status_code == 401

    # The same code again on another device, still within its window: refused.
    phone = new_client()
    again = code_step(phone, password_step(phone), fresh)
    assert again.status_code == 401 and "ot_session=" not in again.headers.get("set-cookie", "")
    # The next step's code (a phone running a little fast) is taken.
    assert code_step(phone, password_step(phone), code(secret, clock, 1)).status_code == 303

    log = actions(person, admin)
    assert log[0] == "session.signed_in" and "user.totp_enabled" in log
    assert log.count("session.code_asked") == 3 and log.count("session.sign_in_failed") == 2


def test_wrong_codes_count_toward_the_lockout(
    new_client: Callable[[], TestClient],
    run_services: Callable[..., Any],
    settings: Settings,
    clock: FakeClock,
    make_key: Callable[..., str],
) -> None:
    admin = make_key("admin", name="auditor")
    person = new_client()
    staff_user(person, run_services, settings, EMAIL, "admin")
    secret = turn_on(person, clock)
    clock.advance(timedelta(seconds=30))

    other = new_client()
    challenge = password_step(other)
    right = code(secret, clock)
    wrong = not_the_code(secret, clock)
    for _ in range(3):
        refused = code_step(other, challenge, wrong)
        assert refused.status_code == 401 and "not right" in refused.text
    # Locked: even the right code is not tried, and the password step is locked too.
    locked = code_step(other, challenge, right)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert sign_in(new_client(), EMAIL).status_code == 429
    log = actions(person, admin)
    assert log[:2] == ["session.sign_in_locked", "session.sign_in_locked"] and log.count("session.sign_in_failed") == 3

    clock.advance(timedelta(minutes=16))  # the lockout window has passed
    assert code_step(other, password_step(other), code(secret, clock)).status_code == 303


def test_turned_off_with_a_current_code_then_sign_in_asks_only_for_the_password(
    new_client: Callable[[], TestClient],
    run_services: Callable[..., Any],
    settings: Settings,
    clock: FakeClock,
    make_key: Callable[..., str],
) -> None:
    make_key("merchant", merchant="Shop")
    admin = make_key("admin", name="auditor")
    person = new_client()
    staff_user(person, run_services, settings, EMAIL, "operations", "Shop")
    secret = turn_on(person, clock)
    clock.advance(timedelta(seconds=30))

    refused = post(person, f"{PAGE}/off", code="12345")
    assert refused.status_code == 422 and "not right" in refused.text
    off = post(person, f"{PAGE}/off", code=code(secret, clock))
    assert off.status_code == 303 and off.headers["location"] == f"{PAGE}?done=off"
    assert "Two-step sign-in is <strong>off</strong>" in person.get(off.headers["location"]).text
    assert sign_in(new_client(), EMAIL).status_code == 303
    log = actions(person, admin)
    assert "user.totp_disabled" in log and "user.totp_enabled" in log
    assert log.count("session.sign_in_failed") == 1  # the wrong code to turn it off counted too


def test_an_admin_removes_it_alone_or_with_a_reset(
    new_client: Callable[[], TestClient],
    run_services: Callable[..., Any],
    settings: Settings,
    clock: FakeClock,
    make_key: Callable[..., str],
) -> None:
    admin = make_key("admin", name="auditor")
    person = new_client()
    staff_user(person, run_services, settings, EMAIL, "admin")
    turn_on(person, clock)
    password_step(new_client())

    async def reset_totp(services: Services) -> bool:
        return await second_factor.reset(services, actor=TEST_ACTOR, email=EMAIL)

    assert run_services(reset_totp) is True
    assert run_services(reset_totp) is False  # nothing left to remove
    assert sign_in(new_client(), EMAIL).status_code == 303  # the password alone again
    assert "user.totp_reset" in actions(person, admin)

    turn_on(person, clock)

    async def reset_account(services: Services) -> str:
        invitation = await accounts.reset_user(services, staff_rules(settings.staff), actor=TEST_ACTOR, email=EMAIL)
        return invitation.url

    run_services(reset_account)
    entries = new_client().get("/api/v1/audit-log", headers=auth(admin)).json()["entries"]
    assert [e["action"] for e in entries[:2]] == ["user.reset", "user.totp_reset"]
    assert entries[0]["detail"]["totp_removed"] is True
