"""Thirty clients placing the same order number at once: one order, and a 409 for each of the others (finding 5
of issue 12: PostgreSQL answered 11-16 of them with a 500 from the unique constraint)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from tests.conftest import auth, order_body

CLIENTS = 30


def test_concurrent_placements_of_one_order_number_give_one_order_and_409s(
    client: TestClient, make_key: Callable[..., str]
) -> None:
    merchant = make_key("merchant", merchant="Race Shop")
    start = threading.Barrier(CLIENTS)

    def place(_: int) -> tuple[int, str]:
        start.wait()  # all at once, so several pass the "does it exist?" read before any commits
        response = client.post("/api/v1/orders", json=order_body(order_number="RACE-1"), headers=auth(merchant))
        field = response.json().get("errors", [{}])[0].get("field", "") if response.status_code != 201 else ""
        return response.status_code, field

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(place, range(CLIENTS)))
    assert Counter(status for status, _ in answers) == {201: 1, 409: CLIENTS - 1}, answers
    assert {field for status, field in answers if status == 409} == {"order_number"}
    listed = client.get("/api/v1/orders", headers=auth(merchant)).json()["orders"]
    assert [o["order_number"] for o in listed] == ["RACE-1"]
