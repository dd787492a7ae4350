"""Parcels by status per merchant, without counting parcels: the folded counts plus the changes not yet folded.

Triggers on ``parcel`` (migration 0026) append a change row for each parcel created, deleted or moved to another
status, in the transaction that wrote the parcel; ``fold`` moves change rows into ``parcel_count``. A reader sums
both in one statement, so it sees one snapshot: a fold deletes the rows it adds, in one transaction, and the sum is
exact before, during and after it. What a read costs grows with the changes not yet folded, not with the parcels.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection, Select, delete, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ordertrail.storage.console.tables import parcel_count, parcel_count_change

change = parcel_count_change.c


def _scoped(query: Select[Any], merchant_column: Any, merchant_ids: frozenset[int] | None) -> Select[Any]:
    return query if merchant_ids is None else query.where(merchant_column.in_(sorted(merchant_ids)))


def counts(connection: Connection, merchant_ids: frozenset[int] | None) -> dict[str, int]:
    """Parcels by status within ``merchant_ids`` (None: every merchant); statuses with none are left out."""
    if merchant_ids is not None and not merchant_ids:
        return {}
    parts = union_all(
        _scoped(
            select(parcel_count.c.status, parcel_count.c.parcels.label("n")),
            parcel_count.c.merchant_id,
            merchant_ids,
        ),
        _scoped(
            select(change.new_status.label("status"), literal(1).label("n")).where(change.new_status.is_not(None)),
            change.merchant_id,
            merchant_ids,
        ),
        _scoped(
            select(change.old_status.label("status"), literal(-1).label("n")).where(change.old_status.is_not(None)),
            change.merchant_id,
            merchant_ids,
        ),
    ).subquery()
    query = select(parts.c.status, func.sum(parts.c.n)).group_by(parts.c.status)
    return {status: int(n) for status, n in connection.execute(query) if n}


def fold(connection: Connection, *, limit: int) -> int:
    """Fold up to ``limit`` of the oldest change rows into the counts; returns how many were folded.

    Folds in several processes at once each take rows no other one holds (SKIP LOCKED on PostgreSQL; SQLite has one
    writer), and add to the counts in one key order, so two folds cannot deadlock.
    """
    oldest = select(change.id).order_by(change.id).limit(limit).with_for_update(skip_locked=True)
    taken = connection.execute(
        delete(parcel_count_change)
        .where(change.id.in_(oldest.scalar_subquery()))
        .returning(change.merchant_id, change.old_status, change.new_status)
    ).all()
    deltas: Counter[tuple[int, str]] = Counter()
    for merchant_id, old_status, new_status in taken:
        if old_status is not None:
            deltas[(merchant_id, old_status)] -= 1
        if new_status is not None:
            deltas[(merchant_id, new_status)] += 1
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    for (merchant_id, status), delta in sorted(deltas.items()):
        if delta:
            statement = insert(parcel_count).values(merchant_id=merchant_id, status=status, parcels=delta)
            connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[parcel_count.c.merchant_id, parcel_count.c.status],
                    set_={"parcels": parcel_count.c.parcels + statement.excluded.parcels},
                )
            )
    return len(taken)


def pending(connection: Connection) -> int:
    """How many change rows wait to be folded."""
    return int(connection.scalar(select(func.count()).select_from(parcel_count_change)) or 0)


def any_pending(connection: Connection) -> bool:
    """Whether a change row waits to be folded (one index step, where ``pending`` counts them all)."""
    return connection.scalar(select(change.id).limit(1)) is not None
