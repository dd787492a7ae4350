"""Who reads the console's lists, and over which merchants: one rule for staff sessions and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection

from ordertrail.domain.accounts.keys import Principal, Role
from ordertrail.domain.errors import Forbidden, InvalidInput
from ordertrail.domain.staff.audit import Actor, ActorKind, staff_actor
from ordertrail.domain.staff.roles import PERMISSIONS, Permission, StaffRole, StaffUser
from ordertrail.services.ports import Ports
from ordertrail.storage.accounts import merchants as merchant_store

# A packing bench's scanner key (one bound to a merchant) reads and prints that merchant's labels, nothing more.
BENCH_PERMISSIONS: Final = frozenset({Permission.READ, Permission.PRINT_LABELS})


@dataclass(frozen=True, slots=True)
class Reader:
    """``scope``: the merchants whose data the reader sees (None: every merchant)."""

    scope: frozenset[int] | None
    actor: Actor
    user: StaffUser | None = None
    key: Principal | None = None

    @classmethod
    def of_key(cls, principal: Principal, address: str | None) -> Reader:
        """Admin keys read every merchant, merchant keys their own. Raises Forbidden for scanner keys."""
        actor = Actor(kind=ActorKind.KEY, name=principal.name, id=principal.key_id, address=address)
        if principal.role is Role.ADMIN:
            return cls(None, actor, key=principal)
        if principal.role is Role.MERCHANT and principal.merchant_id is not None:
            return cls(frozenset({principal.merchant_id}), actor, key=principal)
        raise Forbidden("Only merchant and admin keys read parcels.")

    @classmethod
    def of_bench(cls, principal: Principal, address: str | None) -> Reader:
        """A scanner key bound to a merchant (a packing bench's device), for the labels to print alone: it sees
        that merchant's parcels. Other keys as ``of_key``. Raises Forbidden for a scanner key of no merchant."""
        if principal.role is not Role.SCANNER:
            return cls.of_key(principal, address)
        if principal.merchant_id is None:
            raise Forbidden(
                "This device belongs to no merchant: pair it with 'ordertrail keys pair --merchant …' to list and "
                "print a merchant's labels."
            )
        actor = Actor(kind=ActorKind.KEY, name=principal.name, id=principal.key_id, address=address)
        return cls(frozenset({principal.merchant_id}), actor, key=principal)

    @classmethod
    def of_staff(cls, user: StaffUser, address: str | None) -> Reader:
        if not user.may(Permission.READ):
            raise Forbidden()
        return cls(user.merchant_scope, staff_actor(user, address), user=user)

    def sees(self, merchant_id: int) -> bool:
        return self.scope is None or merchant_id in self.scope

    def may(self, permission: Permission) -> bool:
        """A person: their role's permissions. A key: an admin key may what an admin may, a merchant key what a
        merchant user may, so what a person does in the console their merchant's system can automate."""
        if self.user is not None:
            return self.user.may(permission)
        assert self.key is not None
        if self.key.role is Role.SCANNER:
            return permission in BENCH_PERMISSIONS
        return permission in PERMISSIONS[StaffRole.ADMIN if self.key.role is Role.ADMIN else StaffRole.MERCHANT]


async def visible_merchants(services: Ports, reader: Reader) -> list[tuple[int, str]]:
    """The merchants the reader sees, by name."""
    rows = await services.db.read(merchant_store.list_merchants)
    return sorted(((i, name) for i, name, _ in rows if reader.sees(i)), key=lambda m: m[1].lower())


async def merchant_named(services: Ports, reader: Reader, name: str) -> int:
    """The id of a merchant the reader sees. Raises InvalidInput, the same for an unknown merchant and another's."""

    def find(connection: Connection) -> int | None:
        return merchant_store.merchant_id_by_name(connection, name)

    found = await services.db.read(find)
    if found is None or not reader.sees(found):
        raise InvalidInput(f"No merchant {name!r} among those you can see.", field="merchant")
    return found
