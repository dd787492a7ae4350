"""Revision reasons, promises, delays and the delay notification policy (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ordertrail.domain.estimating.revisions import (
    Reason,
    Window,
    delay_text,
    is_delayed,
    promise_of,
    scan_reason,
    stall_after,
    window_text,
)
from ordertrail.domain.notifying.policy import (
    DELAY_CLEARED_EVENT,
    DELAYED_EVENT,
    EVENT_TYPES,
    Channel,
    DelayChange,
    Preferences,
    plan_delays,
    plan_stalls,
)

MON, TUE, WED, THU, FRI = (date(2026, 3, d) for d in range(2, 7))


def test_reasons() -> None:
    before = Window(TUE, WED)
    assert scan_reason("in_transit", before, Window(THU, FRI)) is Reason.MISSED_STEP
    assert scan_reason("in_transit", before, Window(TUE, THU)) is Reason.MISSED_STEP  # the latest date moved
    assert scan_reason("in_transit", before, Window(MON, TUE)) is Reason.SCAN
    assert scan_reason("in_transit", None, Window(THU, FRI)) is Reason.SCAN
    assert scan_reason("exception", before, Window(THU, FRI)) is Reason.EXCEPTION
    assert scan_reason("delivery_attempted", before, Window(THU, FRI)) is Reason.FAILED_ATTEMPT


def test_promise_and_delay() -> None:
    assert promise_of(WED, Window(MON, TUE)) == WED
    assert promise_of(None, Window(MON, TUE)) == TUE  # the first estimate given
    assert not is_delayed(Window(TUE, THU), TUE)  # may still make it
    assert is_delayed(Window(WED, THU), TUE)
    assert "late" in delay_text("stalled") and delay_text("unknown") == delay_text("scan")


def test_stall_threshold() -> None:
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert stall_after(at, None, timedelta(hours=48)) == at + timedelta(hours=48)
    assert stall_after(at, 30.5, timedelta(hours=48)) == at + timedelta(hours=30.5)
    assert stall_after(at, 0.1, timedelta(hours=48)) == at + timedelta(hours=1)  # never within the hour


def test_window_text() -> None:
    assert window_text(MON, MON) == "Mon 2 Mar"
    assert window_text(MON, TUE) == "Mon 2 – Tue 3 Mar"
    assert window_text(date(2026, 1, 30), date(2026, 2, 2)) == "Fri 30 Jan – Mon 2 Feb"


def change(parcel_id: int, order_id: int, delayed: bool, merchant_id: int = 1) -> DelayChange:
    return DelayChange(parcel_id, order_id, merchant_id, f"T{parcel_id}", delayed, "exception", THU, FRI, WED)


def kinds(notices: list) -> list[tuple[str, str, int]]:  # type: ignore[type-arg]
    return [(n.channel.value, n.event_type, n.change.parcel_id) for n in notices]


def test_one_email_per_order_and_a_webhook_per_parcel() -> None:
    notices = plan_delays([change(1, 10, True), change(2, 10, True), change(3, 11, True)], {}, {})
    assert kinds(notices) == [
        ("webhook", DELAYED_EVENT, 1), ("email", DELAYED_EVENT, 1),
        ("webhook", DELAYED_EVENT, 2),
        ("webhook", DELAYED_EVENT, 3), ("email", DELAYED_EVENT, 3),
    ]  # fmt: skip


def test_an_order_already_delayed_gets_no_second_email_and_recovery_waits_for_the_last_parcel() -> None:
    assert kinds(plan_delays([change(2, 10, True)], {10: 1}, {})) == [("webhook", DELAYED_EVENT, 2)]
    assert kinds(plan_delays([change(1, 10, False)], {10: 2}, {})) == [("webhook", DELAY_CLEARED_EVENT, 1)]
    assert kinds(plan_delays([change(2, 10, False)], {10: 1}, {})) == [
        ("webhook", DELAY_CLEARED_EVENT, 2), ("email", DELAY_CLEARED_EVENT, 2),
    ]  # fmt: skip


def test_preferences() -> None:
    no_hooks = {1: Preferences(webhooks=False)}
    assert [n.channel for n in plan_delays([change(1, 10, True)], {}, no_hooks)] == [Channel.EMAIL]
    silent = {1: Preferences(customer_statuses=frozenset(), webhooks=True)}
    assert [n.channel for n in plan_delays([change(1, 10, True)], {}, silent)] == [Channel.WEBHOOK]
    assert plan_stalls([1, 2], {1: Preferences(webhooks=False)}) == [False, True]
    assert {"parcel.delayed", "parcel.delay_cleared", "parcel.stalled"} <= set(EVENT_TYPES)
