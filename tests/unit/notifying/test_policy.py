"""The pure notification policy, retry schedule, unsubscribe tokens and address rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import itertools
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordertrail.domain.notifying.addresses import refusal
from ordertrail.domain.notifying.policy import Channel, Notice, Preferences, plan, subscribed
from ordertrail.domain.notifying.retries import DEFAULT_SCHEDULE, next_attempt, parse_retry_after, parse_schedule
from ordertrail.domain.notifying.unsubscribe import Unsubscription, make_token, read_token
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.status import CORRECTION, Status
from ordertrail.domain.scanning.transitions import Effect

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)


def change(
    status: str,
    previous: str,
    *,
    effect: Effect = Effect.APPLIED,
    late: bool = False,
    order_id: int = 1,
    merchant_id: int = 1,
    version: int = 1,
    event_status: str | None = None,
) -> ParcelChange:
    event = ScanEvent(
        event_id=f"e-{status}-{order_id}-{version}",
        sequence=version + 1,
        status=CORRECTION if event_status == CORRECTION else Status(event_status or status),
        occurred_at=NOW,
        recorded_at=NOW,
    )
    return ParcelChange(
        parcel_id=order_id * 10 + version,
        order_id=order_id,
        merchant_id=merchant_id,
        tracking_number=f"OT{order_id}{version}",
        event=event,
        effect=effect,
        late=late,
        previous_status=previous,
        status=status,
        substatus=None,
        status_version=version,
    )


def kinds(notices: list[Notice]) -> list[tuple[str, str]]:
    return [(n.channel.value, n.event_type) for n in notices]


def test_defaults_email_the_customer_on_six_milestones_and_webhook_every_status_change() -> None:
    path = ["order_placed", "processing", "packed", "dispatched", "in_transit", "out_for_delivery",
            "delivery_attempted", "out_for_delivery", "delivered"]  # fmt: skip
    changes = [change("order_placed", "order_placed", version=0)]
    changes += [change(new, old, version=i) for i, (old, new) in enumerate(itertools.pairwise(path), 1)]
    notices = plan(changes, {})
    emails = [n.event_type for n in notices if n.channel is Channel.EMAIL]
    assert emails == ["parcel.order_placed", "parcel.dispatched", "parcel.out_for_delivery",
                      "parcel.delivery_attempted", "parcel.out_for_delivery", "parcel.delivered"]  # fmt: skip
    assert [n.event_type for n in notices if n.channel is Channel.WEBHOOK] == [f"parcel.{s}" for s in path]


def test_exception_emails_the_customer() -> None:
    assert kinds(plan([change("exception", "in_transit")], {})) == [
        ("webhook", "parcel.exception"),
        ("email", "parcel.exception"),
    ]


@pytest.mark.parametrize(
    "quiet",
    [
        change("dispatched", "in_transit", late=True),  # late
        change("in_transit", "in_transit"),  # another hub: the status did not change
        change("in_transit", "in_transit", effect=Effect.REGRESSIVE, event_status="dispatched"),
        change("delivered", "delivered", effect=Effect.AFTER_TERMINAL, event_status="in_transit"),
        change("out_for_delivery", "out_for_delivery", effect=Effect.REPEAT),
        change("packed", "packed", effect=Effect.NOT_ALLOWED, event_status="returned"),
        change("delivered", "delivered", effect=Effect.VOIDED),
    ],
)
def test_late_duplicate_and_regressive_events_notify_no_one(quiet: ParcelChange) -> None:
    assert plan([quiet], {}) == []


def test_one_confirmation_per_order_lists_every_parcel() -> None:
    first = change("order_placed", "order_placed", version=0, order_id=7)
    changes = [first, replace(first, parcel_id=2, tracking_number="OT2")]
    notices = plan(changes, {})
    emails = [n for n in notices if n.channel is Channel.EMAIL]
    assert len(emails) == 1
    assert [c.tracking_number for c in emails[0].order_changes] == ["OT70", "OT2"]
    assert len([n for n in notices if n.channel is Channel.WEBHOOK]) == 2


def test_preferences_are_per_merchant() -> None:
    quiet = Preferences(customer_statuses=frozenset({Status.DELIVERED}), webhooks=False)
    changes = [change("dispatched", "packed", merchant_id=1), change("dispatched", "packed", merchant_id=2),
               change("delivered", "out_for_delivery", merchant_id=2)]  # fmt: skip
    notices = plan(changes, {2: quiet})
    assert [(n.change.merchant_id, n.channel.value, n.event_type) for n in notices] == [
        (1, "webhook", "parcel.dispatched"),
        (1, "email", "parcel.dispatched"),
        (2, "email", "parcel.delivered"),
    ]


def test_a_correction_that_moves_the_status_tells_webhooks_not_customers() -> None:
    fix = change("out_for_delivery", "delivered", effect=Effect.CORRECTION, event_status=CORRECTION)
    assert kinds(plan([fix], {})) == [("webhook", "parcel.corrected")]


def test_event_type_filter() -> None:
    assert subscribed("parcel.delivered", [])
    assert subscribed("parcel.delivered", ["parcel.delivered"])
    assert not subscribed("parcel.dispatched", ["parcel.delivered"])


def test_schedule_parses_and_spans_about_three_days() -> None:
    schedule = parse_schedule(DEFAULT_SCHEDULE)
    assert len(schedule) == 9
    assert timedelta(days=3) <= sum(schedule, timedelta()) <= timedelta(days=3.5)
    assert parse_schedule("50ms, 2s,1d") == (timedelta(milliseconds=50), timedelta(seconds=2), timedelta(days=1))
    with pytest.raises(ValueError, match="'5x'"):
        parse_schedule("5s,5x")


@given(st.integers(min_value=1, max_value=9), st.integers(min_value=0, max_value=2**32))
def test_jitter_stays_within_twenty_percent(attempts: int, seed: int) -> None:
    schedule = parse_schedule(DEFAULT_SCHEDULE)
    when = next_attempt(schedule, attempts, now=NOW, rng=random.Random(seed))
    assert when is not None
    delay = schedule[attempts - 1]
    assert delay * 0.8 <= when - NOW <= delay * 1.2


def test_schedule_runs_out_and_retry_after_wins() -> None:
    schedule = parse_schedule("5s,5m")
    assert next_attempt(schedule, 3, now=NOW) is None
    assert next_attempt(schedule, 1, now=NOW, retry_after=timedelta(seconds=90)) == NOW + timedelta(seconds=90)
    assert next_attempt(schedule, 1, now=NOW, retry_after=timedelta(days=9)) == NOW + timedelta(days=1)
    assert parse_retry_after("120", now=NOW) == timedelta(seconds=120)
    assert parse_retry_after("Fri, 01 May 2026 12:01:00 GMT", now=NOW) == timedelta(minutes=1)
    assert parse_retry_after("soon", now=NOW) is None and parse_retry_after(None, now=NOW) is None


def test_unsubscribe_tokens_are_signed() -> None:
    key = b"k" * 32
    token = make_token(key, Unsubscription(5, "Ada@Example.com"))
    assert read_token(key, token) == Unsubscription(5, "ada@example.com")
    assert read_token(b"other", token) is None
    forged = make_token(b"attacker", Unsubscription(6, "ada@example.com"))
    assert read_token(key, forged) is None
    flipped = token[:30] + ("A" if token[30] != "A" else "B") + token[31:]
    assert read_token(key, flipped) is None
    assert read_token(key, "garbage") is None and read_token(key, "") is None and read_token(key, ".") is None


def test_unsubscribe_links_of_emails_sent_before_opaque_tokens_still_work() -> None:
    key = b"k" * 32
    body = base64.urlsafe_b64encode(b"5:ada@example.com").decode().rstrip("=")
    mac = base64.urlsafe_b64encode(hmac.new(key, b"unsubscribe:" + body.encode(), hashlib.sha256).digest())
    legacy = f"{body}.{mac.decode().rstrip('=')}"
    assert read_token(key, legacy) == Unsubscription(5, "ada@example.com")
    assert read_token(b"other", legacy) is None


def _fragments(text: str, size: int = 3) -> set[str]:
    return {text[i : i + size].lower() for i in range(len(text) - size + 1)}


@pytest.mark.parametrize("email", ["ada@example.com", "grace.hopper@navy.mil", "ünï@exämple.de"])
def test_unsubscribe_tokens_show_no_part_of_the_address(email: str) -> None:
    token = make_token(b"k" * 32, Unsubscription(5, email))
    # Neither the address nor any encoding of it that a log reader could undo.
    readable = {token.lower(), base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("latin-1").lower()}
    for fragment in _fragments(email) | _fragments(base64.urlsafe_b64encode(email.encode()).decode().rstrip("=")):
        assert not any(fragment in shown for shown in readable), fragment
    # The same length for addresses of similar length: the token does not tell one address from another.
    assert len(token) == len(make_token(b"k" * 32, Unsubscription(5, "x" + email[1:])))
    assert read_token(b"k" * 32, token) == Unsubscription(5, email.lower())


@pytest.mark.parametrize(
    ("address", "strict", "relaxed"),
    [
        ("93.184.216.34", None, None),
        ("2606:2800:220:1::1", None, None),
        ("127.0.0.1", "a loopback address", None),
        ("::1", "a loopback address", None),
        ("10.0.0.1", "a private address", None),
        ("::ffff:192.168.1.1", "a private address", None),
        ("100.64.1.1", "a private address", None),
        ("169.254.169.254", "a cloud metadata address", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address", "a cloud metadata address"),
        ("fe80::1", "a link-local address", "a link-local address"),
        ("224.0.0.1", "not a unicast internet address", "not a unicast internet address"),
        ("0.0.0.0", "not a unicast internet address", "not a unicast internet address"),  # noqa: S104
    ],
)
def test_address_rules(address: str, strict: str | None, relaxed: str | None) -> None:
    ip = ipaddress.ip_address(address)
    assert refusal(ip, allow_private=False) == strict
    assert refusal(ip, allow_private=True) == relaxed


def test_smtp_urls() -> None:
    from ordertrail.notify.email import SmtpServer, parse_smtp_url

    assert parse_smtp_url("smtp://mail.example.com") == SmtpServer("mail.example.com", 25, False, None)
    assert parse_smtp_url("smtp://u%40x:p%2Fw@mail:2525?starttls=true") == SmtpServer(
        "mail", 2525, False, True, "u@x", "p/w"
    )
    assert parse_smtp_url("smtp://mail?starttls=true").port == 587
    assert parse_smtp_url("smtps://mail") == SmtpServer("mail", 465, True, False)
    with pytest.raises(ValueError, match="starttls"):
        parse_smtp_url("smtp://mail?starttls=maybe")
