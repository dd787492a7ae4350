"""Tracking numbers: format, entropy, and the errors the check character catches."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordertrail.domain.errors import InvalidTrackingNumber
from ordertrail.domain.tracking import tracking_number as tn

numbers = st.integers(min_value=0, max_value=2**64).map(lambda seed: tn.generate(random.Random(seed).randrange))


def test_generated_numbers_have_the_documented_shape() -> None:
    number = tn.generate()
    assert len(number) == tn.LENGTH == 13
    assert number.startswith("OT")
    assert all(symbol in tn.ALPHABET for symbol in number[2:])
    assert tn.normalize(number) == number


def test_random_part_carries_at_least_48_bits() -> None:
    assert len(tn.ALPHABET) ** tn.BODY_LENGTH >= 2**48


@given(numbers)
def test_lookups_accept_lower_case_spaces_and_dashes(number: str) -> None:
    assert tn.normalize(number.lower()) == number
    assert tn.normalize(tn.display(number)) == number
    assert tn.normalize("-".join([number[:5], number[5:9], number[9:]])) == number


@given(numbers, st.integers(min_value=2, max_value=12), st.sampled_from(tn.ALPHABET))
def test_every_single_wrong_character_is_rejected(number: str, position: int, symbol: str) -> None:
    if number[position] == symbol:
        return
    typo = number[:position] + symbol + number[position + 1 :]
    with pytest.raises(InvalidTrackingNumber):
        tn.normalize(typo)


@given(numbers, st.integers(min_value=2, max_value=11))
def test_every_swap_of_neighbours_is_rejected(number: str, position: int) -> None:
    if number[position] == number[position + 1]:
        return
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    with pytest.raises(InvalidTrackingNumber):
        tn.normalize(swapped)


@pytest.mark.parametrize("raw", ["", "OT", "XX123456789AB", "OT12345678901234", "OT1234567890!", "OTVVVVVVVVVVV"])
def test_malformed_numbers_are_rejected(raw: str) -> None:
    assert not tn.is_valid(raw)


def test_confusable_letters_read_as_digits() -> None:
    number = "OT" + "10" * 5
    number += tn.check_character(number[2:])
    assert tn.normalize(number.replace("1", "I").replace("0", "O", 2)[:2] + number[2:].replace("1", "l")) == number


@given(numbers)
def test_the_prefix_misread_as_zero_t_still_finds_the_number(number: str) -> None:
    # "0T…" is how "OT…" reads in a font where O and 0 look alike; the body's O, I and L read as 0, 1, 1.
    misread = "0T" + number[2:].replace("0", "O").replace("1", "I")
    assert tn.normalize(misread) == number
    assert tn.normalize(tn.display(misread).lower()) == number


@given(numbers, st.integers(min_value=2, max_value=12), st.sampled_from(tn.ALPHABET))
def test_a_real_typo_behind_a_misread_prefix_is_still_rejected(number: str, position: int, symbol: str) -> None:
    if number[position] == symbol:
        return
    with pytest.raises(InvalidTrackingNumber):
        tn.normalize("0T" + number[2:position] + symbol + number[position + 1 :])


@pytest.mark.parametrize("prefix", ["O0", "00", "QT", "OI"])
def test_other_prefixes_are_not_taken_for_ot(prefix: str) -> None:
    body = "1234567890"
    assert not tn.is_valid(prefix + body + tn.check_character(body))
