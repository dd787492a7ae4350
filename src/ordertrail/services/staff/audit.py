"""Writing and reading the audit log. Entries are written in the transaction of the action they record.

One reading for the API, the console's page and its CSV export: ``visible_query`` limits a query to the reader, and
the page and the API read it with the same keyset cursor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.errors import FieldProblem, Forbidden, InvalidInput
from ordertrail.domain.inputs import ascii_digits
from ordertrail.domain.staff.audit import Action, Actor, AuditEntry
from ordertrail.domain.staff.roles import Permission, StaffUser
from ordertrail.services.ports import Ports
from ordertrail.storage.staff import audit as audit_store
from ordertrail.storage.staff.audit import AuditQuery

append = audit_store.append  # for use inside a use case's transaction


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: tuple[AuditEntry, ...]
    next_cursor: str | None


def visible_query(query: AuditQuery, *, user: StaffUser | None = None, key: Principal | None = None) -> AuditQuery:
    """``query`` limited to what the reader may see: admins everything; other staff their merchants' entries and
    their own actions. Only admin keys read the log by key. Raises Forbidden."""
    if key is not None:
        if key.role is not Role.ADMIN:
            raise Forbidden("The audit log is read with an admin key or a staff session.")
        return query
    assert user is not None
    if not user.may(Permission.READ):
        raise Forbidden()
    scope = user.merchant_scope
    if scope is None:
        return query
    return replace(query, visible_merchants=scope, visible_actor_id=user.id)


async def read_log(services: Ports, query: AuditQuery, *, cursor: str | None, limit: int) -> AuditPage:
    before_id = None
    if cursor is not None:
        found = ascii_digits(cursor[1:]) if cursor.startswith("a") else None
        if found is None:
            raise InvalidInput("The cursor is not one this list returned.", field="cursor")
        before_id = found

    def read(connection: Connection) -> AuditPage:
        found = audit_store.entries(connection, query, before_id=before_id, limit=limit + 1)
        page = found[:limit]
        return AuditPage(tuple(page), f"a{page[-1].id}" if len(found) > limit else None)

    return await services.db.read(read)


# The page's and the export's filters arrive as text; the API's are parsed by FastAPI and reach ``audit_query``.
FILTERS = ("actor", "action", "tracking_number", "order_number", "after", "before")
EXPORT_BATCH = 500


def audit_query(
    *,
    action: str | None = None,
    actor: str | None = None,
    tracking_number: str | None = None,
    order_number: str | None = None,
    after: datetime | None = None,
    before: datetime | None = None,
) -> AuditQuery:
    """The filters in the form the store keeps them: staff emails lower-cased, tracking numbers upper-cased."""
    return AuditQuery(
        action=action or None,
        actor=actor.strip().lower() if actor and "@" in actor else (actor.strip() if actor else None),
        tracking_number="".join(tracking_number.split()).upper() if tracking_number else None,
        order_number=order_number.strip() if order_number else None,
        after=after,
        before=before,
    )


def parse_filters(params: Mapping[str, str]) -> AuditQuery:
    """The page's query string (each value once, empty meaning unset). Raises InvalidInput naming every bad field.

    ``after`` and ``before`` take a date (the page's date fields) or an ISO 8601 instant with its offset; a date
    ``after`` includes that whole day and a date ``before`` excludes its own, as the parcel list's date range."""
    problems: list[FieldProblem] = []
    values = {name: (params.get(name) or "").strip() or None for name in FILTERS}
    action = values["action"]
    if action is not None and action not in {a.value for a in Action}:
        problems.append(FieldProblem("action", "is not an action the log records"))
    for name, longest in (("actor", 320), ("tracking_number", 40), ("order_number", 100)):
        found = values[name]
        if found is not None and (len(found) > longest or not found.isprintable()):
            problems.append(FieldProblem(name, f"is at most {longest} printable characters"))
    bounds: dict[str, datetime | None] = {}
    for name in ("after", "before"):
        try:
            bounds[name] = _instant(values[name], inclusive=name == "after")
        except ValueError:
            bounds[name] = None
            problems.append(FieldProblem(name, "is a date (2026-12-01) or a date-time with its offset"))
    if problems:
        raise InvalidInput("Some filters are not valid.", problems=problems)
    return audit_query(
        action=action,
        actor=values["actor"],
        tracking_number=values["tracking_number"],
        order_number=values["order_number"],
        after=bounds["after"],
        before=bounds["before"],
    )


def _instant(text: str | None, *, inclusive: bool) -> datetime | None:
    if text is None:
        return None
    if len(text) == 10:
        midnight = datetime.fromisoformat(text).replace(tzinfo=UTC)
        # The store's bound is strict (at > after): one microsecond earlier keeps the day's first instant.
        return midnight - timedelta(microseconds=1) if inclusive else midnight
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    if parsed.tzinfo is None:
        raise ValueError(text)
    return parsed


async def export_log(services: Ports, query: AuditQuery) -> AsyncIterator[AuditEntry]:
    """Every entry ``query`` selects (already limited to the reader), newest first, read in batches of
    ``EXPORT_BATCH``: memory stays flat however long the log is."""
    before_id: int | None = None
    while True:
        edge = before_id

        def read(connection: Connection, edge: int | None = edge) -> list[AuditEntry]:
            return audit_store.entries(connection, query, before_id=edge, limit=EXPORT_BATCH)

        batch = await services.db.read(read)
        for entry in batch:
            yield entry
        if len(batch) < EXPORT_BATCH:
            return
        before_id = batch[-1].id


async def record_export(services: Ports, actor: Actor, *, filters: dict[str, str]) -> None:
    """The export's own audit entry (with its filters), written before the first row is sent."""
    now = services.clock()
    await services.db.write(
        lambda c: audit_store.append(c, actor=actor, action=Action.AUDIT_EXPORTED, at=now, detail=filters)
    )
