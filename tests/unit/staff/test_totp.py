"""TOTP against the RFC 6238 test vectors (SHA-1), and the acceptance window: one step either side, never a step
already used, codes as apps show them."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from ordertrail.domain.staff import totp

# The RFC's SHA-1 seed, "12345678901234567890" in ASCII, as the base32 text apps are given.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


@pytest.mark.parametrize(
    ("unix_time", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_codes_are_the_rfc_6238_vectors_cut_to_six_digits(unix_time: int, eight_digits: str) -> None:
    moment = datetime.fromtimestamp(unix_time, UTC)
    assert totp.code_for_step(RFC_SECRET, totp.step_at(moment)) == eight_digits[-6:]


def test_a_code_is_taken_one_step_either_side_and_not_further() -> None:
    secret = totp.new_secret()
    now = datetime(2026, 12, 3, 12, 0, 10, tzinfo=UTC)
    step = totp.step_at(now)
    for offset in (-1, 0, 1):
        assert totp.matching_step(secret, totp.code_for_step(secret, step + offset), now=now, after_step=None) == (
            step + offset
        )
    for offset in (-2, 2):
        code = totp.code_for_step(secret, step + offset)
        # A code two steps away can collide with a near one by chance (1 in a million); only then is it taken.
        near = {totp.code_for_step(secret, step + o) for o in (-1, 0, 1)}
        assert (totp.matching_step(secret, code, now=now, after_step=None) is None) == (code not in near)


def test_a_step_already_used_or_earlier_is_refused() -> None:
    secret = totp.new_secret()
    now = datetime(2026, 12, 3, 12, 0, 10, tzinfo=UTC)
    step = totp.step_at(now)
    code = totp.code_for_step(secret, step)
    assert totp.matching_step(secret, code, now=now, after_step=step - 1) == step
    assert totp.matching_step(secret, code, now=now, after_step=step) is None
    # Thirty seconds later the same code is still inside the window, but its step is used: refused.
    assert totp.matching_step(secret, code, now=now + timedelta(seconds=30), after_step=step) is None
    later = totp.code_for_step(secret, step + 1)
    assert totp.matching_step(secret, later, now=now + timedelta(seconds=30), after_step=step) == step + 1


@pytest.mark.parametrize(("typed", "normal"), [("123456", "123456"), ("123 456", "123456"), (" 123-456 ", "123456")])
def test_codes_are_read_as_apps_show_them(typed: str, normal: str) -> None:
    assert totp.normal_code(typed) == normal


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12345a", "١٢٣٤٥٦"])
def test_what_is_not_six_ascii_digits_is_not_a_code(typed: str) -> None:
    assert totp.normal_code(typed) is None
    assert totp.matching_step(totp.new_secret(), typed, now=datetime.now(UTC), after_step=None) is None


def test_the_otpauth_uri_carries_the_secret_issuer_and_parameters() -> None:
    secret = totp.new_secret()
    assert len(secret) == 32 and base64.b32decode(secret)
    parts = urlsplit(totp.otpauth_uri(secret, account="ops@example.com", issuer="ordertrail"))
    assert (parts.scheme, parts.netloc, parts.path) == ("otpauth", "totp", "/ordertrail:ops@example.com")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {"secret": secret, "issuer": "ordertrail", "algorithm": "SHA1", "digits": "6", "period": "30"}
    assert totp.grouped(secret).replace(" ", "") == secret and len(totp.grouped(secret).split()) == 8
