"""Writing and reading the audit log. Entries are written in the transaction of the action they record."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Connection

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.errors import Forbidden, InvalidInput
from ordertrail.domain.inputs import ascii_digits
from ordertrail.domain.staff.audit import AuditEntry
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
