"""Pure rules behind the station: pairing codes and its mode table (the pairing lockout: tests/unit/limits)."""

from __future__ import annotations

import random

import pytest

from ordertrail.domain.accounts import pairing
from ordertrail.domain.errors import InvalidPairingCode
from ordertrail.domain.scanning.status import ATTEMPT_REASONS, EXCEPTION_REASONS, REASON_REQUIRED, Status
from ordertrail.domain.scanning.transitions import RANK, Effect, judge
from ordertrail.web.station.vocabulary import ATTEMPT_REASON_LABELS, EXCEPTION_REASON_LABELS, MODES, station_config


def test_pairing_codes_are_eight_unambiguous_symbols_and_normalize_as_typed() -> None:
    rng = random.Random(1)
    codes = {pairing.generate(rng.randrange) for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == 8 and set(code) <= set(pairing.ALPHABET)
        assert pairing.normalize(pairing.display(code).lower()) == code
        assert pairing.normalize(" " + code[:4] + " - " + code[4:]) == code
    assert not set("01ILOUV") & set(pairing.ALPHABET)


@pytest.mark.parametrize("raw", ["", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "ABCD-EFGI", "ABCD_EFGH"])
def test_malformed_pairing_codes_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPairingCode):
        pairing.normalize(raw)


def test_pairing_codes_are_stored_as_hashes() -> None:
    assert pairing.hash_code("ABCDEFGH") != pairing.hash_code("ABCDEFGJ")
    assert len(pairing.hash_code("ABCDEFGH")) == 64 and "ABCDEFGH" not in pairing.hash_code("ABCDEFGH")


def test_every_reason_code_has_a_label_and_no_label_is_made_up() -> None:
    assert set(ATTEMPT_REASON_LABELS) == ATTEMPT_REASONS
    assert set(EXCEPTION_REASON_LABELS) == set(EXCEPTION_REASONS)


def test_modes_that_need_a_reason_ask_for_one() -> None:
    for mode in MODES:
        assert (mode.needs == "reason") == (mode.status in REASON_REQUIRED), mode.id
    assert {m.status for m in MODES} >= {Status.PROCESSING, Status.DELIVERED, Status.DELIVERY_ATTEMPTED}


def test_every_usual_step_is_one_the_transition_rules_apply() -> None:
    for mode in MODES:
        for before in mode.usual_after:
            effect = judge(before, RANK.get(before, 0), mode.status)
            assert effect is Effect.APPLIED or (before == mode.status and not mode.repeats), (mode.id, before)


def test_the_config_the_page_gets_names_real_statuses() -> None:
    config = station_config()
    assert [m["id"] for m in config["modes"]] == [m.id for m in MODES]
    for mode in config["modes"]:
        assert all(status in config["status_labels"] for status in [mode["status"], *mode["usual_after"]])
