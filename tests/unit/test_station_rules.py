"""Pure rules behind the station: pairing codes, the failure throttle, and the station's mode table."""

from __future__ import annotations

import random

import pytest

from ordertrail.adapters.failure_throttle import FailureThrottle
from ordertrail.domain.accounts import pairing
from ordertrail.domain.errors import InvalidPairingCode, RateLimited
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


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_throttle_locks_a_client_out_for_the_rest_of_the_window() -> None:
    clock = Clock()
    throttle = FailureThrottle(max_failures=3, window_s=60, clock=clock)
    for _ in range(3):
        throttle.check("a")
        throttle.failed("a")
    with pytest.raises(RateLimited) as locked:
        throttle.check("a")
    assert locked.value.retry_after_s == 60
    throttle.check("b")  # others are not affected
    clock.now += 30
    with pytest.raises(RateLimited) as still:
        throttle.check("a")
    assert still.value.retry_after_s == 30
    clock.now += 31
    throttle.check("a")


def test_the_throttle_caps_failures_from_everyone_together() -> None:
    clock = Clock()
    throttle = FailureThrottle(max_failures=3, window_s=60, max_total=5, clock=clock)
    for client in "abcde":
        throttle.failed(client)
    with pytest.raises(RateLimited):
        throttle.check("f")


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
