"""No count of the overview reads every parcel: each statement it runs is planned, on a migrated SQLite store, as
index searches and scans of partial indexes only (the 1,000,000-parcel benchmark, bench/console_load.py, is
where the cost shows; this keeps a later change from quietly bringing a full scan back).

The partial indexes' conditions are written out as SQL (storage/tables.py), so they are also checked against the
statuses the domain names.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event

from ordertrail.domain.console.label_prints import BEFORE_DISPATCH as DOMAIN_BEFORE_DISPATCH
from ordertrail.domain.scanning.status import Status
from ordertrail.storage.analytics.dwelling import dwelling_count
from ordertrail.storage.console import label_prints, parcel_counts
from ordertrail.storage.console import parcels as list_store
from ordertrail.storage.console.tables import BEFORE_DISPATCH, HELD
from ordertrail.storage.migrate import upgrade

# Scans of these are scans of the few rows they hold.
PARTIAL = {"ix_parcel_held", "ix_parcel_before_dispatch", "ix_parcel_eta_delayed", "ix_parcel_eta_stalled"}
_SCAN = re.compile(r"SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?")
# A walk through every order of the merchants (20 s for a merchant with a million), then each order's parcels.
_EVERY_ORDER_OF = re.compile(r"SEARCH order USING (?:COVERING )?INDEX \w+ \(merchant_id=\?\)")


def statuses_of(condition: Any) -> set[str]:
    return set(re.findall(r"'(\w+)'", str(condition.compile(compile_kwargs={"literal_binds": True}))))


def test_the_partial_indexes_name_the_statuses_of_the_domain() -> None:
    assert statuses_of(HELD) == {Status.EXCEPTION.value, Status.DELIVERY_ATTEMPTED.value}
    assert statuses_of(BEFORE_DISPATCH) == {s.value for s in DOMAIN_BEFORE_DISPATCH}


def full_scans(connection: Connection, run: Any) -> list[str]:
    """The tables ``run`` reads whole (a scan of a table, or of an index that is not a partial one), and the walks
    through every order of a merchant."""
    executed: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        executed.append((statement, parameters))

    event.listen(connection.engine, "before_cursor_execute", record)
    try:
        run(connection)
    finally:
        event.remove(connection.engine, "before_cursor_execute", record)
    assert executed
    scans = []
    for statement, parameters in executed:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
        for row in plan:
            found = _SCAN.search(row[3])
            whole = found and found.group(1) in ("parcel", "order", "scan_event") and found.group(2) not in PARTIAL
            if whole or _EVERY_ORDER_OF.search(row[3]):
                scans.append(f"{row[3]} in: {statement}")
    return scans


def test_no_count_of_the_overview_reads_every_parcel(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    upgrade(url)
    now = datetime.now(UTC)
    p90s = {"Hub North": 10.0, "Hub South": 20.0}
    runs = {
        "status counts": lambda c: list_store.status_counts(c, None),
        "status counts of a merchant": lambda c: list_store.status_counts(c, frozenset({1, 2})),
        "parcels by status": lambda c: parcel_counts.counts(c, frozenset({1})),
        "held up, by reason": lambda c: list_store.problem_reasons(c, None),
        "held up of a merchant": lambda c: list_store.problem_reasons(c, frozenset({1})),
        "labels to print": lambda c: label_prints.unprinted_count(c, scope=None, since=now - timedelta(hours=9)),
        "labels of a merchant": lambda c: label_prints.unprinted_count(c, scope=[1], since=now - timedelta(hours=9)),
        "the labels list of a merchant": lambda c: label_prints.to_print(
            c, scope=[1], since=now - timedelta(hours=9), limit=200
        ),
        "dwelling now": lambda c: dwelling_count(c, p90s, now, merchant_ids=None),
        "dwelling of a merchant": lambda c: dwelling_count(c, p90s, now, merchant_ids=frozenset({1})),
    }
    engine = create_engine(url)
    with engine.connect() as connection:
        found = {name: full_scans(connection, run) for name, run in runs.items()}
    engine.dispose()
    assert {name: scans for name, scans in found.items() if scans} == {}
