"""A parcel's timeline merged from its sources, the emails that belong to it, and the rules of a note."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from ordertrail.domain.console.notes import Note, body_hash, idempotency_key, note_message
from ordertrail.domain.console.timeline import EstimateItem, MessageItem, NoteItem, ScanItem, mentions, merged
from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.estimating.revisions import Revision
from ordertrail.domain.scanning.events import ScanEvent
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.scanning.transitions import Effect
from ordertrail.domain.staff.audit import ActorKind

T = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def scan(event_id: str, at: datetime) -> ScanItem:
    return ScanItem(ScanEvent(event_id, 1, Status.IN_TRANSIT, at, at), Effect.APPLIED, late=False)


def estimate(at: datetime) -> EstimateItem:
    day = date(2026, 12, 5)
    return EstimateItem(Revision(1, day, day, day, 0.8, "lane", "in_transit.1", "scan", False, at))


def message(at: datetime) -> MessageItem:
    return MessageItem(1, "msg_1", "webhook", "parcel.in_transit", "delivered", None, 7, at, at, None)


def note(at: datetime) -> NoteItem:
    return NoteItem(Note(1, 1, at, ActorKind.STAFF, 3, "ops@example.com", "Called the customer"))


def test_merged_is_in_time_order_and_at_one_instant_the_cause_comes_first() -> None:
    later, early = scan("b", T + timedelta(hours=1)), scan("a", T)
    items = merged([early, later], [estimate(T + timedelta(hours=1))], [message(T + timedelta(hours=1))], [note(T)])
    assert [type(i).__name__ for i in items] == ["ScanItem", "NoteItem", "ScanItem", "EstimateItem", "MessageItem"]
    # Same-instant scans keep the order they came in (their replay order).
    twins = merged([scan("z", T), scan("y", T)])
    assert [i.event.event_id for i in twins if isinstance(i, ScanItem)] == ["z", "y"]


def test_a_scan_stands_at_the_time_it_happened_and_says_how_it_counted() -> None:
    event = ScanEvent("v", 3, Status.DELIVERED, T, T + timedelta(hours=5))
    document = ScanItem(event, Effect.VOIDED, late=True).document(contact=False)
    assert document["at"] == T.isoformat() and document["recorded_at"] == (T + timedelta(hours=5)).isoformat()
    assert (document["late"], document["voided"], document["effect"]) == (True, True, "voided")


def test_an_email_recipient_is_contact() -> None:
    email = MessageItem(1, "msg_1", "email", "parcel.delivered", "dead", "ada@example.com", None, T, T, "refused")
    assert email.document(contact=True)["recipient"] == "ada@example.com"
    assert email.document(contact=False)["recipient"] is None


def test_an_email_belongs_to_the_parcels_it_names() -> None:
    confirmation = json.dumps({"tracking_number": "OT1", "tracking_numbers": ["OT1", "OT2"]})
    assert mentions(confirmation, "OT2") and mentions(confirmation, "OT1")
    delay = json.dumps({"tracking_number": "OT1"})
    assert mentions(delay, "OT1") and not mentions(delay, "OT2")
    assert not mentions("not json", "OT1") and not mentions("[1]", "OT1")


def test_a_note_is_trimmed_and_bounded_and_names_its_field() -> None:
    assert note_message("  two\r\nlines \n") == "two\nlines"
    for bad in ("", "  \n ", "a\x00b", "x" * 4001):
        with pytest.raises(InvalidInput) as raised:
            note_message(bad)
        assert [p.field for p in raised.value.problems] == ["message"]
    assert body_hash("OT1", "a") != body_hash("OT2", "a") != body_hash("OT1", "b")


def test_an_idempotency_key_is_printable_ascii() -> None:
    assert idempotency_key(None) is None and idempotency_key("f1b2-9") == "f1b2-9"
    for bad in ("", "has space", "x" * 201, "é"):
        with pytest.raises(InvalidInput) as raised:
            idempotency_key(bad)
        assert [p.field for p in raised.value.problems] == ["Idempotency-Key"]
