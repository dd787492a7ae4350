"""`ordertrail users` as a person runs it (real processes, real store): create prints the invitation URL alone on
the last line, list shows the state, reset voids the password and the old link, reset-totp turns off two-step
sign-in, disable ends sessions, and bad input is one line on stderr with exit code 1, changing nothing."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ordertrail.app import create_app
from ordertrail.domain.staff import totp
from ordertrail.settings import Settings
from tests.conftest import BIN
from tests.support.staff import FAST_HASHING, choose_password, csrf_of, path_of, sign_in


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, public_base_url="https://console.example", **FAST_HASHING)


def _cli(settings: Settings) -> Callable[..., subprocess.CompletedProcess[str]]:
    env = {
        **os.environ,
        "ORDERTRAIL_DATA_DIR": str(settings.data_dir),
        "ORDERTRAIL_PUBLIC_BASE_URL": settings.public_base_url,
        "ORDERTRAIL_PASSWORD_TIME_COST": "1",
        "ORDERTRAIL_PASSWORD_MEMORY_KIB": "256",
        "COLUMNS": "200",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "ordertrail"), *args], env=env, capture_output=True, text=True, timeout=120)

    return run


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return _settings(tmp_path / "data")


@pytest.fixture
def cli(settings: Settings) -> Callable[..., subprocess.CompletedProcess[str]]:
    return _cli(settings)


@pytest.fixture(scope="module")
def shops_with_a_user(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Two shops and one user, made once: every bad-input case must leave exactly this store behind, so the cases
    can share it (and a case that did change it would show in the next one's comparison too)."""
    cli = _cli(_settings(tmp_path_factory.mktemp("users") / "data"))
    assert cli("merchants", "create", "Shop A").returncode == 0
    assert cli("merchants", "create", "Shop B").returncode == 0
    taken = cli("users", "create", "--email", "taken@example.com", "--role", "viewer", "--merchant", "Shop A")
    assert taken.returncode == 0, taken.stderr
    return cli


@pytest.fixture
def web(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client


def test_create_list_reset_and_disable(cli: Callable[..., subprocess.CompletedProcess[str]], web: TestClient) -> None:
    assert cli("merchants", "create", "Shop A").returncode == 0
    created = cli("users", "create", "--email", " Ops@Example.COM ", "--role", "operations", "--merchant", "Shop A")
    assert created.returncode == 0, created.stderr
    url = created.stdout.strip().splitlines()[-1]
    assert url.startswith("https://console.example/console/invitation/") and " " not in url
    assert "ops@example.com (operations)" in created.stdout
    listed = cli("users", "list").stdout
    assert "ops@example.com" in listed and "invited" in listed and "Shop A" in listed

    assert choose_password(web, url).status_code == 303
    assert sign_in(web, "ops@example.com").status_code == 303
    assert "active" in cli("users", "list").stdout

    reset = cli("users", "reset", "OPS@example.com")
    assert reset.returncode == 0, reset.stderr
    new_url = reset.stdout.strip().splitlines()[-1]
    assert new_url != url and new_url.startswith("https://console.example/console/invitation/")
    assert web.get("/console", follow_redirects=False).status_code == 303  # the session ended
    assert sign_in(web, "ops@example.com").status_code == 401  # the old password no longer works
    assert web.get(path_of(url)).status_code == 404  # nor the old link
    assert choose_password(web, new_url, "another long secret phrase").status_code == 303
    assert sign_in(web, "ops@example.com", "another long secret phrase").status_code == 303

    assert cli("users", "disable", "ops@example.com").returncode == 0
    assert web.get("/console", follow_redirects=False).status_code == 303
    assert "disabled" in cli("users", "list").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--email", "not-an-email", "--role", "viewer", "--merchant", "Shop A"), "not an email"),
        (("--email", "a@example.com", "--role", "operations"), "needs at least one merchant"),
        (
            ("--email", "a@example.com", "--role", "merchant", "--merchant", "Shop A", "--merchant", "Shop B"),
            "exactly one",
        ),
        (("--email", "a@example.com", "--role", "admin", "--merchant", "Shop A"), "every merchant"),
        (("--email", "a@example.com", "--role", "viewer", "--merchant", "Nowhere"), "No merchant 'Nowhere'"),
        (("--email", "taken@example.com", "--role", "viewer", "--merchant", "Shop A"), "already exists"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    shops_with_a_user: Callable[..., subprocess.CompletedProcess[str]], args: tuple[str, ...], message: str
) -> None:
    cli = shops_with_a_user
    before = cli("users", "list").stdout
    assert "taken@example.com" in before
    result = cli("users", "create", *args)
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert cli("users", "list").stdout == before


def test_disabling_an_unknown_user_is_an_error(cli: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    result = cli("users", "disable", "nobody@example.com")
    assert result.returncode == 1 and "nobody@example.com" in result.stderr, result.stderr


def test_reset_totp_turns_off_two_step_sign_in(
    cli: Callable[..., subprocess.CompletedProcess[str]], web: TestClient
) -> None:
    created = cli("users", "create", "--email", "admin@example.com", "--role", "admin")
    assert choose_password(web, created.stdout.strip().splitlines()[-1]).status_code == 303
    assert sign_in(web, "admin@example.com").status_code == 303
    page = "/console/account/two-step"
    token = csrf_of(web.get(page).text)
    assert web.post(f"{page}/setup", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    found = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', web.get(page).text)
    assert found is not None
    # The server's clock is the real one: a code of the current step is taken even if a step boundary passes
    # before the server checks it (one step either side is accepted).
    now_code = totp.code_for_step(found.group(1).replace(" ", ""), totp.step_at(datetime.now(UTC)))
    confirmed = web.post(f"{page}/confirm", data={"csrf_token": token, "code": now_code}, follow_redirects=False)
    assert confirmed.status_code == 303, confirmed.text
    asked = sign_in(web, "admin@example.com")
    assert asked.status_code == 200 and "Enter your sign-in code" in asked.text

    reset = cli("users", "reset-totp", "--email", "Admin@example.com")
    assert reset.returncode == 0 and "turned off for Admin@example.com" in reset.stdout, reset.stderr
    assert sign_in(web, "admin@example.com").status_code == 303  # the password alone again
    again = cli("users", "reset-totp", "--email", "admin@example.com")
    assert again.returncode == 0 and "nothing changed" in again.stdout
    unknown = cli("users", "reset-totp", "--email", "nobody@example.com")
    assert unknown.returncode == 1 and "nobody@example.com" in unknown.stderr
