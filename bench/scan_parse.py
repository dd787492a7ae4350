"""What the hot path spends on one scan body before it is queued: parsing, the duplicate-key check, validation.

``.venv/bin/python -m bench.scan_parse [--rounds 200000]``

Prints microseconds per body for orjson alone (the bare baseline), the parse with the duplicate-key check
(``api/json_bodies.loads``), and parse + ``ScanIn`` validation + ``to_input`` (what ``POST /scans`` does before
the ingestor), for a typical scan body and for one whose note holds ``":`` (which takes the re-check).
Run it under another checkout's ``src`` (PYTHONPATH) to compare builds; a build without ``json_bodies`` shows
orjson for that line.
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from ordertrail.api.schemas.scanning import ScanIn
from ordertrail.domain.tracking import tracking_number as tn

try:
    from ordertrail.api.json_bodies import loads
except ImportError:  # a build before the duplicate-key check
    loads = orjson.loads


def body(note: str | None) -> bytes:
    scan: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "tracking_number": tn.generate(),
        "status": "in_transit",
        "substatus": "in_transit.arrived_at_hub",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "location": {"facility": "Hub North", "city": "Leeds", "country": "GB"},
    }
    if note:
        scan["note"] = note
    return orjson.dumps(scan)


def per_call_us(work: Callable[[], object], rounds: int) -> float:
    """The fastest of fifty runs of ``rounds / 50`` calls, in microseconds per call (on a shared machine the
    fastest run is the one least disturbed by other processes; CPU time of this process, not wall time)."""
    size = max(1, rounds // 50)
    runs = []
    for _ in range(50):
        start = time.process_time()
        for _ in range(size):
            work()
        runs.append((time.process_time() - start) / size * 1e6)
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200_000)
    args = parser.parse_args()
    for name, raw in (("typical", body(None)), ('note with ":', body('the label says "fragile": careful'))):
        bare = per_call_us(lambda raw=raw: orjson.loads(raw), args.rounds)
        checked = per_call_us(lambda raw=raw: loads(raw), args.rounds)
        full = per_call_us(lambda raw=raw: ScanIn.model_validate(loads(raw)).to_input(), args.rounds // 4)
        print(f"{name:14} orjson {bare:6.2f} µs   + duplicate check {checked:6.2f} µs   + validate {full:6.2f} µs")


if __name__ == "__main__":
    main()
