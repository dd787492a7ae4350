"""The rules of a recipient correction (domain/orders/recipient.py): what changed, what is refused, what a retry
must repeat, and that a viewer's version names fields but shows no values."""

from __future__ import annotations

from datetime import UTC, datetime

from ordertrail.domain.orders.order import Address, Customer
from ordertrail.domain.orders.recipient import Recipient, RecipientVersion, body_hash, corrected, problems, refusal
from ordertrail.domain.scanning.status import Status
from ordertrail.domain.staff.audit import ActorKind

PLACED = Recipient(
    Customer(name="Ada Lovelace", email="ada@example.com", phone="+44 20 7946 0000"),
    Address(line1="12 Analytical Row", city="London", postal_code="N1 9GU", country="GB"),
)


def test_only_the_fields_given_change_and_the_changed_ones_are_named_in_order() -> None:
    after, changed = corrected(PLACED, {"destination.line1": " 14 Harbour St ", "customer.email": "a@example.org"})
    assert changed == ("customer.email", "destination.line1")
    assert after.customer == Customer("Ada Lovelace", "a@example.org", "+44 20 7946 0000")
    assert after.destination.line1 == "14 Harbour St" and after.destination.city == "London"
    same, nothing = corrected(PLACED, {"customer.name": "Ada Lovelace", "destination.country": "gb"})
    assert nothing == () and same == PLACED
    removed, changed = corrected(PLACED, {"customer.phone": ""})
    assert removed.customer.phone is None and changed == ("customer.phone",)


def test_each_bad_field_is_named() -> None:
    found = problems(
        {
            "customer.email": "nope",
            "customer.name": " ",
            "customer.phone": "call me",
            "destination.country": "XX",
            "destination.postal_code": "1" * 21,
            "destination.line2": "",  # optional: empty removes it
            "customer.shoe_size": "42",
        }
    )
    assert [p.field for p in found] == [
        "customer.email",
        "customer.name",
        "customer.phone",
        "destination.country",
        "destination.postal_code",
        "customer.shoe_size",
    ]


def test_a_delivered_parcel_fixes_the_recipient() -> None:
    assert refusal([("OT1", Status.OUT_FOR_DELIVERY), ("OT2", Status.EXCEPTION)]) is None
    why = refusal([("OT1", Status.OUT_FOR_DELIVERY), ("OT2", Status.DELIVERED)])
    assert why is not None and "OT2" in why and "OT1" not in why


def test_a_retry_repeats_the_same_request() -> None:
    one = body_hash(7, {"customer.email": "a@example.org"}, "typo")
    assert one == body_hash(7, {"customer.email": " a@example.org "}, "typo")
    assert one != body_hash(7, {"customer.email": "a@example.org"}, "other reason")
    assert one != body_hash(8, {"customer.email": "a@example.org"}, "typo")


def test_a_version_shows_its_values_only_with_the_contact_permission() -> None:
    version = RecipientVersion(
        order_id=1, version=2, at=datetime(2026, 12, 4, tzinfo=UTC), actor_kind=ActorKind.STAFF, actor_id=3,
        actor="ops@example.com", reason="typo", changed=("customer.email",), recipient=PLACED,
    )  # fmt: skip
    hidden = version.document(contact=False)
    assert hidden["changed"] == ["customer.email"] and hidden["by"]["name"] == "ops@example.com"
    assert "customer" not in hidden and "destination" not in hidden and "ada@example.com" not in str(hidden)
    assert version.document(contact=True)["customer"]["email"] == "ada@example.com"
