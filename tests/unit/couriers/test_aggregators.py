"""The aggregators' signatures and documents: each sender's own scheme, and its payload read as generic events."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from ordertrail.api.schemas.couriers import CourierEventIn
from ordertrail.domain.couriers.aggregators import READERS
from ordertrail.domain.couriers.mapping import load_registry
from ordertrail.domain.couriers.signatures import SIGNED
from ordertrail.domain.errors import InvalidInput
from ordertrail.domain.scanning.status import Status
from tests.support.aggregators import PERSONAL, aftership_update, easypost_event, karrio_tracker, signed

pytestmark = pytest.mark.store_independent

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
NUMBER = "1Z5R89390357567127"
DOCUMENTS = {
    "easypost": easypost_event(NUMBER, [("delivered", "arrived_at_destination", AT, "Signed for by G HOPPER")]),
    "aftership": aftership_update(NUMBER, [("Delivered", "Delivered_001", AT, "Delivered")]),
    "karrio": karrio_tracker(NUMBER, [("D", AT, "DELIVERED")]),
}


@pytest.mark.parametrize("aggregator", sorted(SIGNED))
def test_each_scheme_accepts_its_signature_and_refuses_a_changed_body_or_another_secret(aggregator: str) -> None:
    body, headers = signed(aggregator, "sender-secret-0001", DOCUMENTS[aggregator])
    check = SIGNED[aggregator]
    assert check("sender-secret-0001", body, headers)
    assert not check("sender-secret-0001", body.replace(b"1Z5R", b"1Z5X", 1), headers)
    assert not check("another-secret-0001", body, headers)
    assert not check("sender-secret-0001", body, {})  # no signature at all


def test_easypost_keys_its_hmac_with_the_secret_normalised_to_nfkd() -> None:
    body = b'{"description":"tracker.updated"}'
    # "ﬁ" (one ligature character) is "fi" under NFKD: EasyPost signs with the normalised secret.
    signature = "hmac-sha256-hex=" + hmac.new(b"fine-secret", body, hashlib.sha256).hexdigest()
    assert SIGNED["easypost"]("\ufb01ne-secret", body, {"x-hmac-signature": signature})


def test_karrio_takes_a_sha256_prefix_or_its_notifier_s_secret_header() -> None:
    body = b'{"event":"tracker.updated"}'
    digest = hmac.new(b"karrio-secret", body, hashlib.sha256).hexdigest()
    assert SIGNED["karrio"]("karrio-secret", body, {"x-karrio-signature": f"sha256={digest}"})
    assert SIGNED["karrio"]("karrio-secret", body, {"x-event-id": "karrio-secret"})
    assert not SIGNED["karrio"]("karrio-secret", body, {"x-event-id": "guess"})


@pytest.mark.parametrize("aggregator", sorted(READERS))
def test_each_document_reads_as_generic_events_leaving_the_people_in_it_out(aggregator: str) -> None:
    (event,) = READERS[aggregator](DOCUMENTS[aggregator])
    parsed = CourierEventIn.model_validate(event.item).to_event("ups", event.vocabulary)
    assert (parsed.tracking_number, parsed.occurred_at) == (NUMBER, AT)
    assert load_registry().courier_of(aggregator, event.carrier) == "ups"
    mapping = load_registry().resolve(parsed.speaks, parsed.code)
    assert (mapping.status, mapping.mapped) == (Status.DELIVERED, True)
    # Of the people in the document, nothing is read; the courier's own text is kept (never public).
    assert not any(personal in repr(event.item) for personal in PERSONAL if personal != "G HOPPER")


def test_codes_are_status_and_detail_and_an_unknown_detail_falls_back_to_its_status() -> None:
    registry = load_registry()
    (easypost,) = READERS["easypost"](DOCUMENTS["easypost"])
    (aftership,) = READERS["aftership"](DOCUMENTS["aftership"])
    assert (easypost.item["code"], aftership.item["code"]) == (
        "delivered/arrived_at_destination",
        "Delivered/Delivered_001",
    )
    assert registry.resolve("easypost", "in_transit/arrived_at_facility").substatus == "in_transit.arrived_at_hub"
    assert registry.resolve("easypost", "in_transit/a_detail_not_yet_known").status is Status.IN_TRANSIT
    unmapped = registry.resolve("aftership", "Exception/Exception_001")  # an exception of no known cause
    assert (unmapped.status, unmapped.mapped) == (Status.IN_TRANSIT, False)


def test_resent_history_names_each_event_the_same_way() -> None:
    for aggregator, document in DOCUMENTS.items():
        first, again = READERS[aggregator](document), READERS[aggregator](document)
        assert [e.item for e in first] == [e.item for e in again], aggregator
        assert first[0].item["id"]


def test_times_without_an_offset_are_read_as_utc() -> None:
    document = aftership_update(NUMBER, [("InTransit", "InTransit_003", AT, "Arrival scan")])
    document["msg"]["checkpoints"][0]["checkpoint_time"] = "2026-12-01T09:30:00"
    (checkpoint,) = READERS["aftership"](document)
    assert checkpoint.item["occurred_at"] == "2026-12-01T09:30:00+00:00"
    karrio = karrio_tracker(NUMBER, [("I", AT, "In transit")])
    karrio["data"]["events"][0]["time"] = "09:30 PM"
    (event,) = READERS["karrio"](karrio)
    assert event.item["occurred_at"] == "2026-12-01T21:30:00+00:00"


def test_a_karrio_event_with_a_status_is_mapped_by_karrio_s_vocabulary_else_by_the_courier_s() -> None:
    document = karrio_tracker(NUMBER, [("KB", AT, "Out for delivery"), ("D", AT, "Delivered")])
    document["data"]["events"][0]["status"] = "out_for_delivery"
    with_status, without = READERS["karrio"](document)
    assert (with_status.vocabulary, with_status.item["code"]) == ("karrio", "out_for_delivery")
    assert (without.vocabulary, without.item["code"]) == (None, "D")
    assert with_status.item["description"] == "Out for delivery — LEEDS, GB"  # the place is text: kept, not public
    assert "location" not in with_status.item


def test_other_kinds_of_notification_carry_no_events_and_a_malformed_one_is_refused_naming_its_field() -> None:
    assert READERS["easypost"]({"object": "Event", "description": "batch.updated", "result": {}}) == []
    assert READERS["aftership"]({"event": "edd_revise", "msg": {}}) == []
    assert READERS["karrio"]({"event": "shipment.purchased", "data": {}}) == []
    with pytest.raises(InvalidInput) as refused:
        READERS["easypost"]({"description": "tracker.updated", "result": {"tracking_details": "none"}})
    assert refused.value.problems[0].field == "result.tracking_details"
    with pytest.raises(InvalidInput):
        READERS["aftership"]([])
