"""Every reason code has words for customers; signed order links open only while valid and unaltered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordertrail.domain.errors import InvalidOrderLink
from ordertrail.domain.scanning.status import ATTEMPT_REASONS, EXCEPTION_REASONS, Status
from ordertrail.domain.tracking.customer_texts import ATTEMPT_TEXTS, EXCEPTION_TEXTS, notice_for
from ordertrail.services.orders.access import open_order_link, sign_order_link
from ordertrail.services.tracking.documents import local_time_text


def test_every_reason_code_has_a_text() -> None:
    assert set(EXCEPTION_TEXTS) == set(EXCEPTION_REASONS)
    assert set(ATTEMPT_TEXTS) == ATTEMPT_REASONS
    for notice in [*EXCEPTION_TEXTS.values(), *ATTEMPT_TEXTS.values()]:
        assert notice.happened.endswith(".") and notice.next.endswith(".")


def test_notice_says_what_happened_and_what_next() -> None:
    notice = notice_for(Status.DELIVERY_ATTEMPTED, "nobody_home")
    assert notice is not None and "nobody was home" in notice.happened and "tried again" in notice.next
    assert notice_for(Status.IN_TRANSIT, None) is None


def test_local_time_keeps_the_events_own_offset() -> None:
    moment = datetime(2026, 3, 3, 14, 5, tzinfo=UTC).astimezone(datetime.fromisoformat("2026-03-03T00:00+05:30").tzinfo)
    assert local_time_text(moment) == "Tue 3 Mar 2026, 19:35 (UTC+05:30)"


def test_signed_links_open_until_they_expire_and_refuse_tampering() -> None:
    key = b"k" * 32
    now = datetime(2026, 1, 1, tzinfo=UTC)
    token = sign_order_link(key, 42, now + timedelta(hours=1))
    assert open_order_link(key, token, now=now) == 42
    with pytest.raises(InvalidOrderLink):
        open_order_link(key, token, now=now + timedelta(hours=2))
    with pytest.raises(InvalidOrderLink):
        open_order_link(b"other" * 8, token, now=now)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for bad in (tampered, "", "!!!", token + "x"):
        with pytest.raises(InvalidOrderLink):
            open_order_link(key, bad, now=now)
