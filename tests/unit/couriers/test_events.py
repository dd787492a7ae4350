"""Courier events become scans: stable event ids, the mapped status, the courier's text kept private."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordertrail.domain.couriers.events import CourierEvent, remapped, to_scan
from ordertrail.domain.couriers.handover import handover_problems, normalize_courier_number
from ordertrail.domain.couriers.mapping import UNMAPPED, StatusMapping, load_registry
from ordertrail.domain.scanning.events import Location
from ordertrail.domain.scanning.status import CORRECTION, Status

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _event(courier: str = "ups", event_id: str = "e-1", code: str = "D") -> CourierEvent:
    return CourierEvent(
        courier=courier,
        courier_event_id=event_id,
        tracking_number="1Z5R89390357567127",
        code=code,
        occurred_at=AT,
        body_hash="h",
        description="Signed for by J SMITH",
        location=Location(facility="UPS Leeds", city="Leeds", country="GB"),
    )


def test_the_event_id_depends_on_courier_and_its_event_id_only() -> None:
    assert _event().event_id == _event(code="I").event_id
    assert _event().event_id != _event(event_id="e-2").event_id
    assert _event().event_id != _event(courier="dhl").event_id
    assert len(_event().event_id) == 36


def test_a_mapped_event_becomes_a_scan_of_the_parcel() -> None:
    event = _event()
    scan = to_scan(event, load_registry().resolve("ups", "D"), parcel_number="OT123")
    assert (scan.tracking_number, scan.status, scan.occurred_at) == ("OT123", Status.DELIVERED, AT)
    assert scan.event_id == event.event_id
    assert scan.note == "Signed for by J SMITH"  # notes are never public
    assert scan.location == Location(city="Leeds", country="GB")  # a courier's depot is no ordertrail facility


def test_an_unmapped_event_becomes_an_in_transit_scan() -> None:
    scan = to_scan(_event(code="??"), UNMAPPED, parcel_number="OT123")
    assert (scan.status, scan.reason, scan.substatus) == (Status.IN_TRANSIT, None, None)


def test_handover_rules_name_the_field() -> None:
    assert normalize_courier_number(" 1z 5r89 ") == "1Z5R89"
    assert handover_problems(courier="ups", tracking_number="1Z5R89", service_level=None, tracking_url=None) == []
    fields = {
        p.field
        for p in handover_problems(
            courier="UPS!", tracking_number="1Z", service_level="", tracking_url="javascript:alert(1)"
        )
    }
    assert fields == {"courier", "tracking_number", "service_level", "tracking_url"}


@pytest.mark.store_independent
def test_a_remapped_event_is_replaced_at_its_own_time_and_the_old_scan_voided_with_stable_new_ids() -> None:
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    now = at + timedelta(days=1)
    courier_event = CourierEvent("ups", "u1", "1Z5R89390357567127", "ZZ", at, "h" * 64, "Signed for by J SMITH")
    delivered = StatusMapping(Status.DELIVERED, substatus="delivered.to_neighbour")
    replacement, correction = remapped(
        courier_event, delivered, parcel_number="OTX", standing_event_id=courier_event.event_id, now=now
    )
    assert (replacement.status, replacement.substatus, replacement.occurred_at) == (
        Status.DELIVERED,
        delivered.substatus,
        at,
    )
    assert replacement.note == "Signed for by J SMITH"  # still only in the note, never public
    assert (correction.status, correction.voids_event_id, correction.occurred_at) == (
        CORRECTION,
        courier_event.event_id,
        now,
    )
    again = remapped(courier_event, delivered, parcel_number="OTX", standing_event_id=courier_event.event_id, now=now)
    assert again == (replacement, correction)  # a retry records nothing twice
    back = remapped(
        courier_event,
        StatusMapping(Status.IN_TRANSIT),
        parcel_number="OTX",
        standing_event_id=replacement.event_id,
        now=now,
    )
    forth = remapped(courier_event, delivered, parcel_number="OTX", standing_event_id=back[0].event_id, now=now)
    ids = {courier_event.event_id, replacement.event_id, back[0].event_id, forth[0].event_id}
    assert len(ids) == 4  # mapped back and forth: a fresh replacement each time
