"""The tracking-numbers library where it knows the courier: valid numbers recognised, failed checks refused."""

from __future__ import annotations

import pytest

from ordertrail.adapters.courier_numbers import knows, recognise
from ordertrail.domain.errors import InvalidInput


def test_a_valid_ups_number_is_recognised_with_its_tracking_page() -> None:
    found = recognise("ups", "1Z5R89390357567127")
    assert found is not None
    assert found.courier_name == "UPS"
    assert found.tracking_url is not None and "1Z5R89390357567127" in found.tracking_url


def test_a_ups_number_failing_its_check_digit_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as raised:
        recognise("ups", "1Z5R89390357567128")
    assert raised.value.problems[0].field == "tracking_number"


def test_formats_and_couriers_the_library_does_not_know_are_accepted_as_given() -> None:
    assert knows("ups") and not knows("royal_mail")
    assert recognise("ups", "ABC-12345") is None
    assert recognise("royal_mail", "1Z5R89390357567128") is None
