"""Staff roles, the merchants a staff user works for, and what each role may do.

A role is a fixed set of permissions (``PERMISSIONS``): the console and the API ask for a permission, never for a
role by name, so adding an action means adding it to this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final


class StaffRole(StrEnum):
    """What a staff user may do, and over which merchants."""

    ADMIN = "admin"  # everything, every merchant
    OPERATIONS = "operations"  # every action on the parcels of the merchants they are given
    SUPPORT = "support"  # read, notes, customer notices, resend; no cancel or void
    MERCHANT = "merchant"  # one merchant's parcels, its keys, webhook endpoints and settings
    VIEWER = "viewer"  # read only


class Permission(StrEnum):
    READ = "read"  # parcels, orders, the audit log of their merchants; export what they can read
    NOTE = "note"  # internal notes, customer notices, resending notifications
    CONTACT = "contact"  # the customer's email, phone and street address (a parcel's detail, its emails)
    CANCEL = "cancel"  # cancel, void, correct
    # Mark an exception handled, saying what was done: the people who fix what goes wrong (not support, who answer
    # customers; not viewers). It takes the parcel out of the exceptions queue, which others rely on.
    HANDLE = "handle"
    MANAGE_MERCHANT = "manage_merchant"  # the merchant's keys, webhook endpoints and settings
    MANAGE_USERS = "manage_users"  # invite, disable and reset staff accounts
    # Read and attach unmatched scans: they belong to no merchant yet (any shop's number may have been mistyped),
    # so only people who work across merchants' parcels handle them.
    RECONCILE = "reconcile"
    # Print shipping labels and mark them printed (the packing bench's work): not support, not viewers.
    PRINT_LABELS = "print_labels"


PERMISSIONS: Final[dict[StaffRole, frozenset[Permission]]] = {
    StaffRole.ADMIN: frozenset(Permission),
    StaffRole.OPERATIONS: frozenset(
        {
            Permission.READ,
            Permission.NOTE,
            Permission.CONTACT,
            Permission.CANCEL,
            Permission.HANDLE,
            Permission.RECONCILE,
            Permission.PRINT_LABELS,
        }
    ),
    StaffRole.SUPPORT: frozenset({Permission.READ, Permission.NOTE, Permission.CONTACT}),
    StaffRole.MERCHANT: frozenset(
        {
            Permission.READ,
            Permission.NOTE,
            Permission.CONTACT,
            Permission.CANCEL,
            Permission.HANDLE,
            Permission.MANAGE_MERCHANT,
            Permission.PRINT_LABELS,
        }
    ),
    StaffRole.VIEWER: frozenset({Permission.READ}),
}


def merchant_rule(role: StaffRole, merchant_count: int) -> str | None:
    """Why ``merchant_count`` merchants do not fit ``role`` (None when they do)."""
    if role is StaffRole.ADMIN:
        return "An admin works for every merchant: name none." if merchant_count else None
    if role is StaffRole.MERCHANT:
        return None if merchant_count == 1 else "A merchant user belongs to exactly one merchant."
    # Scoped by default: an operations, support or viewer account sees only the merchants it is given.
    return None if merchant_count else f"The {role.value} role needs at least one merchant (--merchant)."


@dataclass(frozen=True, slots=True)
class StaffUser:
    """A staff account as the program sees it (never its password hash)."""

    id: int
    email: str
    role: StaffRole
    merchant_ids: frozenset[int]
    created_at: datetime
    password_set_at: datetime | None
    disabled_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None and self.password_set_at is not None

    def may(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]

    @property
    def merchant_scope(self) -> frozenset[int] | None:
        """The merchants whose data this user sees; None means every merchant (admins)."""
        return None if self.role is StaffRole.ADMIN else self.merchant_ids


def normal_email(email: str) -> str:
    """The stored form of a staff email: trimmed and lower-cased (sign-in is not case-sensitive)."""
    return email.strip().lower()


def plausible_email(email: str) -> bool:
    local, _, domain = email.partition("@")
    return bool(local) and "." in domain and " " not in email and len(email) <= 320
