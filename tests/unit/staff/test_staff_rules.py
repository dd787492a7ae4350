"""Staff rules without I/O: passwords, the lockout policy, roles and their merchants, permissions, secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordertrail.domain.staff import tokens
from ordertrail.domain.staff.lockout import LockoutPolicy
from ordertrail.domain.staff.passwords import MIN_LENGTH, common_passwords, password_problem
from ordertrail.domain.staff.roles import PERMISSIONS, Permission, StaffRole, StaffUser, merchant_rule

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "password",
    ["correct horse battery", "marble quiet orchard 42", "Zebra-Lantern-Fog-7", "x" * 11 + "yz12"],
)
def test_long_uncommon_passwords_pass(password: str) -> None:
    assert password_problem(password, email="ops@example.com") is None


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("a" * (MIN_LENGTH - 1), "at least"),
        ("Password1234", "most common"),
        ("QWERTYUIOP!!", "most common"),
        ("correcthorsebatterystaple", "most common"),
        ("ababababababab", "too few"),
        ("my.name@example.com!", "email"),
        ("prefix-operator-suffix", "email"),
        ("x" * 257, "at most"),
    ],
)
def test_short_common_repetitive_or_personal_passwords_fail(password: str, reason: str) -> None:
    problem = password_problem(
        password, email="operator@example.com" if "operator" in password else "my.name@example.com"
    )
    assert problem is not None and reason in problem


def test_the_shipped_list_is_read_and_lower_cased() -> None:
    listed = common_passwords()
    assert "password" in listed and "qwertyuiop" in listed and len(listed) > 150
    assert all(p == p.lower() for p in listed)


def test_lockout_starts_at_the_limit_and_ends_when_the_oldest_failure_leaves_the_window() -> None:
    policy = LockoutPolicy(max_failures=3, window=timedelta(minutes=15))
    failures = [NOW - timedelta(minutes=10), NOW - timedelta(minutes=5)]
    assert policy.locked_until(failures, now=NOW) is None
    failures.append(NOW)
    assert policy.locked_until(failures, now=NOW) == NOW + timedelta(minutes=5)
    later = NOW + timedelta(minutes=5, seconds=1)
    assert policy.locked_until(failures, now=later) is None  # the oldest has left the window
    old = [NOW - timedelta(hours=1)] * 10
    assert policy.locked_until(old, now=NOW) is None


def test_each_role_takes_the_merchants_it_needs() -> None:
    assert merchant_rule(StaffRole.ADMIN, 0) is None and merchant_rule(StaffRole.ADMIN, 1) is not None
    assert merchant_rule(StaffRole.MERCHANT, 1) is None
    assert merchant_rule(StaffRole.MERCHANT, 0) is not None and merchant_rule(StaffRole.MERCHANT, 2) is not None
    for role in (StaffRole.OPERATIONS, StaffRole.SUPPORT, StaffRole.VIEWER):
        assert merchant_rule(role, 0) is not None and merchant_rule(role, 3) is None


def test_viewers_only_read_support_never_cancels_only_admins_manage_users() -> None:
    assert PERMISSIONS[StaffRole.VIEWER] == {Permission.READ}
    assert Permission.CANCEL not in PERMISSIONS[StaffRole.SUPPORT] and Permission.NOTE in PERMISSIONS[StaffRole.SUPPORT]
    assert [r for r in StaffRole if Permission.MANAGE_USERS in PERMISSIONS[r]] == [StaffRole.ADMIN]
    assert all(Permission.READ in PERMISSIONS[r] for r in StaffRole)


def test_admins_see_every_merchant_others_only_theirs() -> None:
    def user(role: StaffRole, merchants: set[int]) -> StaffUser:
        return StaffUser(1, "a@example.com", role, frozenset(merchants), NOW, NOW, None)

    assert user(StaffRole.ADMIN, set()).merchant_scope is None
    assert user(StaffRole.OPERATIONS, {1, 2}).merchant_scope == {1, 2}
    assert user(StaffRole.VIEWER, {3}).merchant_scope == {3}
    assert not StaffUser(1, "a@example.com", StaffRole.VIEWER, frozenset({1}), NOW, None, None).active
    assert not StaffUser(1, "a@example.com", StaffRole.VIEWER, frozenset({1}), NOW, NOW, NOW).active


def test_secrets_are_random_hashed_and_checked_before_lookup() -> None:
    first, second = tokens.new_secret(), tokens.new_secret()
    assert first != second and tokens.looks_like_secret(first)
    assert tokens.hash_secret(first) != first and len(tokens.hash_secret(first)) == 64
    assert not tokens.looks_like_secret(first[:-1]) and not tokens.looks_like_secret(first[:-1] + "/")
    assert tokens.same_secret(first, first) and not tokens.same_secret(first, second)
