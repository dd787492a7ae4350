"""Tracking numbers that survive a human: shown grouped with the prefix set apart, and found when typed the way
people misread them (0T for OT, O for 0, I or L for 1), while a real typo is still a miss."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from ordertrail.domain.tracking import tracking_number as tn


def test_misread_numbers_open_the_parcel_and_typos_do_not(
    client: TestClient, make_order: Callable[..., dict[str, Any]]
) -> None:
    number = make_order()["parcels"][0]["tracking_number"]
    misread = "0T" + number[2:].replace("0", "O").replace("1", "I")
    for typed in (misread, tn.display(misread).lower().replace(" ", "-")):
        page = client.get(f"/t/{typed}")
        assert page.status_code == 200, typed
        assert f'data-tracking-number="{number}"' in page.text
    grouped = tn.display(number)
    assert f'<span class="tn-prefix">OT</span>{grouped[2:]}' in page.text  # grouped, the prefix in the text face
    wrong = number[:5] + ("2" if number[5] != "2" else "3") + number[6:]
    assert client.get(f"/t/0T{wrong[2:]}").status_code == 404  # the check character still catches a typo
