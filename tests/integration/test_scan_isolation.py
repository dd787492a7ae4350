"""Group commit isolation: a scan that fails in the store fails only its own sender, never the rest of its group.

Each poison reaches the store whatever the input rules in front of it say: a parcel broken in storage (its row
no longer maps to a status), and a scan the store itself refuses (a trigger stands in for any constraint or
value the database rejects), plus the NUL byte of issue 12 (PostgreSQL refuses it in text).
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, text

from ordertrail.domain.scanning.events import Location
from ordertrail.domain.scanning.scans import Outcome, ScanInput
from ordertrail.domain.scanning.status import Status
from ordertrail.services.accounts.keys import key_hash_of
from ordertrail.services.context import Services
from ordertrail.services.scanning.ingestor import ScanIngestor
from ordertrail.services.scanning.record import ScanResult
from ordertrail.settings import Settings
from tests.support.store import rows

REFUSE_ON_SQLITE = """
CREATE TRIGGER refuse_poison BEFORE INSERT ON scan_event WHEN NEW.note = 'poison'
BEGIN SELECT RAISE(ABORT, 'the store refuses this scan'); END
"""
REFUSE_ON_POSTGRES = (
    """
    CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.note = 'poison' THEN RAISE EXCEPTION 'the store refuses this scan'; END IF;
        RETURN NEW;
    END $$
    """,
    "CREATE TRIGGER refuse_poison BEFORE INSERT ON scan_event FOR EACH ROW EXECUTE FUNCTION refuse_poison()",
)


def refusing_trigger(dialect: str) -> tuple[str, ...]:
    """SQL that makes the store refuse any event whose note is 'poison'."""
    return (REFUSE_ON_SQLITE,) if dialect == "sqlite" else REFUSE_ON_POSTGRES


def scan(number: str, *, note: str | None = None) -> ScanInput:
    event_id = str(uuid.uuid4())
    return ScanInput(
        event_id=event_id,
        tracking_number=number,
        status=Status.IN_TRANSIT,
        occurred_at=datetime.now(UTC) - timedelta(minutes=1),
        body_hash=hashlib.sha256(event_id.encode()).hexdigest(),
        location=Location(facility="Hub Leeds", city="Leeds", country="GB"),
        note=note,
    )


def record_together(
    settings: Settings, run_services: Callable[..., Any], submissions: list[tuple[list[ScanInput], str]]
) -> list[list[ScanResult] | BaseException]:
    """Submit everything at once to one ingestor (so it is one group commit); each submission's answer."""

    async def work(services: Services) -> list[list[ScanResult] | BaseException]:
        ingestor = ScanIngestor(services)
        try:
            calls = [ingestor.record(scans, key_hash=key_hash) for scans, key_hash in submissions]
            return await asyncio.gather(*calls, return_exceptions=True)
        finally:
            await ingestor.stop()

    answers: list[list[ScanResult] | BaseException] = run_services(work)
    return answers


def execute(run_services: Callable[..., Any], *statements: str, **params: str) -> str:
    """Run SQL against the test store in one transaction; returns the store's dialect."""

    async def work(services: Services) -> str:
        def transaction(connection: Connection) -> None:
            for statement in statements:
                connection.execute(text(statement), params)

        if statements:
            await services.db.write(transaction)
        return services.db.dialect

    dialect: str = run_services(work)
    return dialect


@pytest.mark.parametrize("poison", ["broken parcel", "refused by the store", "NUL byte"])
def test_one_failing_scan_fails_only_its_sender(
    poison: str,
    settings: Settings,
    run_services: Callable[..., Any],
    make_order: Callable[..., dict[str, Any]],
    make_key: Callable[..., str],
) -> None:
    honest_numbers = [p["tracking_number"] for p in make_order(parcels=[{}] * 10)["parcels"]]
    (target,) = (p["tracking_number"] for p in make_order()["parcels"])
    honest_key, poisoner_key = (key_hash_of(f"Bearer {make_key('scanner')}") for _ in range(2))
    dialect = execute(run_services)
    if poison == "broken parcel":
        execute(run_services, "UPDATE parcel SET status = 'no-such-status' WHERE tracking_number = :n", n=target)
        bad = scan(target)
    elif poison == "refused by the store":
        execute(run_services, *refusing_trigger(dialect))
        bad = scan(target, note="poison")
    else:
        bad = scan(target, note="x\x00y")
    honest = [[scan(number)] for number in honest_numbers]
    # The poisoner's submissions sit among the honest ones, first, in the middle and last.
    submissions = [([bad], poisoner_key), *((s, honest_key) for s in honest[:5])]
    submissions += [([scan(target, note=bad.note)], poisoner_key), *((s, honest_key) for s in honest[5:])]
    submissions += [([bad, scan(honest_numbers[0])], poisoner_key)]  # a batch with the poison in it

    answers = record_together(settings, run_services, submissions)

    for (_, key_hash), answer in zip(submissions, answers, strict=True):
        if key_hash == honest_key:
            assert not isinstance(answer, BaseException), answer
            assert [r.outcome for r in answer] == [Outcome.CREATED]
        elif poison != "NUL byte" or dialect != "sqlite":  # SQLite stores a NUL; the input rules refuse it upfront
            assert isinstance(answer, BaseException) or all(r.outcome is Outcome.INVALID for r in answer), answer
    stored = {row["event_id"] for row in rows(settings.resolved_database_url, "SELECT event_id FROM scan_event")}
    assert {s[0].event_id for s in honest} <= stored
    if poison != "NUL byte" or dialect != "sqlite":
        # Nothing of a failed submission is stored: not the poison, not the honest scan batched with it.
        assert not {scan.event_id for scans, _ in submissions[6:7] + submissions[-1:] for scan in scans} & stored
        assert bad.event_id not in stored
