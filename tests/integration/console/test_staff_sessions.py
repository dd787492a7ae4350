"""Staff accounts end to end over real HTTP and a real store: invitation, password rules, sign-in, cookie flags,
lockout across two app instances, rehashing, session expiry, sign-out (here and everywhere), CSRF and Origin
checks, and the audit log every step writes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ordertrail.app import create_app
from ordertrail.settings import Settings
from tests.conftest import auth
from tests.support.clock import FakeClock
from tests.support.staff import (
    FAST_HASHING,
    PASSWORD,
    choose_password,
    csrf_of,
    invite,
    path_of,
    sign_in,
    staff_user,
)

EMAIL = "ops@example.com"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        public_base_url="http://testserver",
        staff_lockout_failures=3,
        staff_session_idle_minutes=30,
        staff_session_max_hours=8,
        **FAST_HASHING,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def app_client(settings: Settings, clock: FakeClock) -> Callable[..., TestClient]:
    """Open another app instance (its own runtime, as another server process would have) on the same store."""
    opened: list[TestClient] = []

    def open_one(base_url: str = "http://testserver", app_settings: Settings | None = None) -> TestClient:
        client = TestClient(create_app(app_settings or settings, clock=clock), base_url=base_url)
        client.__enter__()
        opened.append(client)
        return client

    yield open_one  # type: ignore[misc]
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def browser_like(app_client: Callable[..., TestClient]) -> Iterator[TestClient]:
    yield app_client()


@pytest.fixture
def with_shop(make_key: Callable[..., str]) -> str:
    return make_key("admin", name="auditor")  # also makes the store; merchants come from make_key below


def audit(client: TestClient, admin_key: str, **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/audit-log", params=params, headers=auth(admin_key))
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def test_invited_user_chooses_a_password_signs_in_and_gets_a_locked_down_session_cookie(
    browser_like: TestClient, run_services: Callable[..., Any], settings: Settings, make_key: Callable[..., str]
) -> None:
    make_key("merchant", merchant="Shop A")
    admin = make_key("admin", name="auditor")
    url = invite(run_services, settings, EMAIL, "operations", ("Shop A",))
    assert url.startswith("http://testserver/console/invitation/")

    assert choose_password(browser_like, url).headers["location"].startswith("/console/login?done=password")
    response = sign_in(browser_like, EMAIL)
    assert response.status_code == 303 and response.headers["location"] == "/console"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("ot_session="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # plain HTTP: a Secure cookie would never come back
    assert f"max-age={8 * 3600}" in flags

    overview = browser_like.get("/console")
    assert overview.status_code == 200 and EMAIL in overview.text
    assert overview.headers["cache-control"] == "no-store"
    actions = [e["action"] for e in audit(browser_like, admin)]
    assert actions[:3] == ["session.signed_in", "user.password_set", "user.invited"]
    signed_in = audit(browser_like, admin)[0]
    assert signed_in["actor"] == {"kind": "staff", "id": 1, "name": EMAIL} and signed_in["address"] == "testclient"

    # The link worked once.
    assert browser_like.get(path_of(url)).status_code == 404


def test_over_https_the_session_cookie_is_secure(
    app_client: Callable[..., TestClient],
    run_services: Callable[..., Any],
    settings: Settings,
    make_key: Callable[..., str],
) -> None:
    make_key("merchant", merchant="Shop A")
    client = app_client("https://testserver")
    choose_password(client, invite(run_services, settings, EMAIL, "viewer", ("Shop A",)))
    response = sign_in(client, EMAIL)
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("ot_session="))
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short pass", "at least 12"),
        ("Password1234!", "most common"),
        ("ops@example.com-secret", "email"),
        ("aaaaaaaaaaaaaaaa", "too few characters"),
        ("qwertyuiop12345", "most common"),
    ],
)
def test_weak_passwords_are_refused_and_the_invitation_still_works(
    browser_like: TestClient,
    run_services: Callable[..., Any],
    settings: Settings,
    make_key: Callable[..., str],
    password: str,
    reason: str,
) -> None:
    make_key("merchant", merchant="Shop A")
    url = invite(run_services, settings, EMAIL, "operations", ("Shop A",))
    refused = choose_password(browser_like, url, password)
    assert refused.status_code == 422 and reason in refused.text
    assert sign_in(browser_like, EMAIL, password).status_code == 401
    assert choose_password(browser_like, url).status_code == 303


def test_lockout_is_kept_in_the_store_and_holds_for_another_app_instance(
    app_client: Callable[..., TestClient],
    run_services: Callable[..., Any],
    settings: Settings,
    clock: FakeClock,
    make_key: Callable[..., str],
) -> None:
    make_key("merchant", merchant="Shop A")
    admin = make_key("admin", name="auditor")
    first, second = app_client(), app_client()
    staff_user(first, run_services, settings, EMAIL, "operations", "Shop A")
    for _ in range(3):
        assert sign_in(first, EMAIL, "not the password at all").status_code == 401
    # Locked: the right password no longer opens a session, on the other instance too.
    locked = sign_in(second, EMAIL)
    assert locked.status_code == 429 and "locked" in locked.text and int(locked.headers["retry-after"]) > 0
    assert "ot_session=" not in locked.headers.get("set-cookie", "")
    # An unknown email locks exactly the same (nobody learns which addresses have accounts).
    for _ in range(3):
        assert sign_in(first, "nobody@example.com", "whatever it is").status_code == 401
    assert sign_in(second, "nobody@example.com", "whatever it is").status_code == 429
    actions = [e["action"] for e in audit(first, admin, actor=EMAIL)]
    assert actions.count("session.sign_in_failed") == 3 and actions[0] == "session.sign_in_locked"

    clock.advance(timedelta(minutes=16))  # the window has passed
    assert sign_in(second, EMAIL).status_code == 303


def test_a_hash_made_with_other_parameters_is_redone_at_sign_in(
    tmp_path: Path,
    app_client: Callable[..., TestClient],
    run_services: Callable[..., Any],
    settings: Settings,
    make_key: Callable[..., str],
) -> None:
    make_key("merchant", merchant="Shop A")
    old = app_client(app_settings=settings.model_copy(update={"password_memory_kib": 128}))
    choose_password(old, invite(run_services, settings, EMAIL, "operations", ("Shop A",)))
    assert _stored_hash(run_services).startswith("$argon2id$v=19$m=128,")

    response = sign_in(app_client(), EMAIL)
    assert response.status_code == 303
    assert _stored_hash(run_services).startswith("$argon2id$v=19$m=256,t=1,")
    assert sign_in(app_client(), EMAIL).status_code == 303  # the new hash verifies


def _stored_hash(run_services: Callable[..., Any]) -> str:
    from sqlalchemy import select

    from ordertrail.storage.staff.tables import staff_user

    async def work(services: Any) -> str:
        value: str = await services.db.read(lambda c: c.execute(select(staff_user.c.password_hash)).scalar_one())
        return value

    result: str = run_services(work)
    return result


def test_sessions_end_when_idle_and_at_their_absolute_expiry(
    browser_like: TestClient,
    run_services: Callable[..., Any],
    settings: Settings,
    clock: FakeClock,
    make_key: Callable[..., str],
) -> None:
    make_key("merchant", merchant="Shop A")
    staff_user(browser_like, run_services, settings, EMAIL, "viewer", "Shop A")
    clock.advance(timedelta(minutes=29))
    assert browser_like.get("/console", follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=29))  # active again within the idle window: still open
    assert browser_like.get("/console", follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=31))
    ended = browser_like.get("/console/parcels?status=exception", follow_redirects=False)
    assert ended.status_code == 303
    assert ended.headers["location"] == "/console/login?next=%2Fconsole%2Fparcels%3Fstatus%3Dexception"

    assert sign_in(browser_like, EMAIL).status_code == 303
    for _ in range(16):  # busy all along (7 h 44 min)...
        clock.advance(timedelta(minutes=29))
        assert browser_like.get("/console", follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=29))  # ...but the absolute expiry (8 h) still ends it
    assert browser_like.get("/console", follow_redirects=False).status_code == 303


def test_sign_out_everywhere_ends_every_session_and_disable_ends_them_at_once(
    app_client: Callable[..., TestClient],
    run_services: Callable[..., Any],
    settings: Settings,
    make_key: Callable[..., str],
) -> None:
    make_key("merchant", merchant="Shop A")
    phone, laptop = app_client(), app_client()
    staff_user(phone, run_services, settings, EMAIL, "support", "Shop A")
    assert sign_in(laptop, EMAIL).status_code == 303
    page = laptop.get("/console")
    response = laptop.post("/console/sign-out-everywhere", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 200 and "signed out" in response.text  # followed to the sign-in page
    assert phone.get("/console", follow_redirects=False).status_code == 303
    assert laptop.get("/console", follow_redirects=False).status_code == 303

    assert sign_in(phone, EMAIL).status_code == 303
    from ordertrail.services.staff import accounts
    from tests.support.staff import TEST_ACTOR

    run_services(lambda services: accounts.disable_user(services, actor=TEST_ACTOR, email=EMAIL))
    assert phone.get("/console", follow_redirects=False).status_code == 303
    assert sign_in(phone, EMAIL).status_code == 401


def test_unsafe_requests_without_a_valid_token_or_from_another_origin_are_refused(
    browser_like: TestClient, run_services: Callable[..., Any], settings: Settings, make_key: Callable[..., str]
) -> None:
    make_key("merchant", merchant="Shop A")
    url = invite(run_services, settings, EMAIL, "operations", ("Shop A",))
    # Pre-sign-in forms: the double-submit token must match its cookie.
    page = browser_like.get(path_of(url))
    token = csrf_of(page.text)
    body = {"password": PASSWORD, "password_again": PASSWORD}
    assert browser_like.post(path_of(url), data=body).status_code == 403
    assert browser_like.post(path_of(url), data={**body, "csrf_token": "x" * 43}).status_code == 403
    cross = browser_like.post(path_of(url), data={**body, "csrf_token": token}, headers={"Origin": "https://evil.test"})
    assert cross.status_code == 403
    site = browser_like.post(path_of(url), data={**body, "csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"})
    assert site.status_code == 403
    opaque = browser_like.post(path_of(url), data={**body, "csrf_token": token}, headers={"Origin": "null"})
    assert opaque.status_code == 403
    assert browser_like.get(path_of(url)).status_code == 200  # nothing was used up
    assert (
        browser_like.post(path_of(url), data={**body, "csrf_token": token}, follow_redirects=False).status_code == 303
    )

    login = browser_like.get("/console/login")
    sign_in_body = {"email": EMAIL, "password": PASSWORD}
    assert browser_like.post("/console/login", data=sign_in_body).status_code == 403
    assert "ot_session" not in browser_like.cookies

    # Signed in: the session's own token, not the pre-sign-in one, guards its forms.
    assert sign_in(browser_like, EMAIL).status_code == 303
    session_token = csrf_of(browser_like.get("/console").text)
    for path in ("/console/sign-out", "/console/sign-out-everywhere"):
        assert browser_like.post(path, data={}).status_code == 403
        assert browser_like.post(path, data={"csrf_token": csrf_of(login.text)}).status_code == 403
        other = browser_like.post(path, data={"csrf_token": session_token}, headers={"Origin": "http://evil.test"})
        assert other.status_code == 403
    assert browser_like.get("/console", follow_redirects=False).status_code == 200  # still signed in
    same = browser_like.post(
        "/console/sign-out", data={"csrf_token": session_token}, headers={"Origin": "http://testserver"}
    )
    assert same.status_code == 200 and "You are signed out" in same.text


def test_the_audit_log_refuses_updates_and_deletes_in_the_store_itself(
    run_services: Callable[..., Any], settings: Settings, make_key: Callable[..., str]
) -> None:
    from sqlalchemy import delete, select, update
    from sqlalchemy.exc import DBAPIError

    from ordertrail.storage.staff.tables import audit_log

    make_key("merchant", merchant="Shop A")
    invite(run_services, settings, EMAIL, "operations", ("Shop A",))

    for change in (update(audit_log).values(actor="someone else"), delete(audit_log)):

        async def tamper(services: Any, statement: Any = change) -> None:
            await services.db.write(lambda c: c.execute(statement))

        with pytest.raises(DBAPIError, match="append-only"):
            run_services(tamper)

    async def read(services: Any) -> list[str]:
        rows = await services.db.read(lambda c: list(c.execute(select(audit_log.c.actor))))
        return [r[0] for r in rows]

    assert run_services(read) == ["tests"]
