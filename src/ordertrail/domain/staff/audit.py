"""Audit log entries: who did what, when, to which parcel or order, from where. Appended, never changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ordertrail.domain.staff.roles import StaffUser


class ActorKind(StrEnum):
    STAFF = "staff"
    KEY = "key"
    CLI = "cli"


class Action(StrEnum):
    """Every action the audit log records. One name per action, in the API, the CSV and the pages."""

    USER_INVITED = "user.invited"
    USER_RESET = "user.reset"
    USER_DISABLED = "user.disabled"
    PASSWORD_SET = "user.password_set"  # noqa: S105 (an action name)
    TOTP_ENABLED = "user.totp_enabled"
    TOTP_DISABLED = "user.totp_disabled"
    TOTP_RESET = "user.totp_reset"
    SIGNED_IN = "session.signed_in"
    SIGN_IN_CODE_ASKED = "session.code_asked"
    SIGN_IN_FAILED = "session.sign_in_failed"
    SIGN_IN_LOCKED = "session.sign_in_locked"
    SIGNED_OUT = "session.signed_out"
    SIGNED_OUT_EVERYWHERE = "session.signed_out_everywhere"
    PARCELS_EXPORTED = "parcels.exported"
    NOTE_ADDED = "parcel.note_added"
    PARCEL_CANCELLED = "parcel.cancelled"
    UNMATCHED_SCAN_ATTACHED = "unmatched_scan.attached"
    CUSTOMER_MESSAGE_SENT = "parcel.message_sent"
    AUDIT_EXPORTED = "audit_log.exported"
    EXCEPTION_HANDLED = "parcel.exception_handled"
    NOTIFICATION_RESENT = "parcel.notification_resent"
    PARCEL_HANDED_OVER = "parcel.handed_over"
    COURIER_MAPPING_SET = "courier_mapping.set"
    COURIER_MAPPING_REMOVED = "courier_mapping.removed"
    SCAN_VOIDED = "parcel.scan_voided"
    SCAN_RECORDED = "parcel.scan_recorded"  # by hand: a missing scan
    RECIPIENT_CORRECTED = "order.recipient_corrected"
    MERCHANT_SETTINGS_CHANGED = "merchant.settings_changed"
    WEEKLY_REPORT_CHANGED = "merchant.weekly_report_changed"
    KEY_CREATED = "key.created"
    KEY_REVOKED = "key.revoked"
    ENDPOINT_CREATED = "webhook_endpoint.created"
    ENDPOINT_SECRET_ROTATED = "webhook_endpoint.secret_rotated"  # noqa: S105 (an action name)
    ENDPOINT_DELETED = "webhook_endpoint.deleted"
    ENDPOINT_TEST_SENT = "webhook_endpoint.test_sent"
    ENDPOINT_REPLAYED = "webhook_endpoint.replayed"
    LABEL_PRINTED = "parcel.label_printed"
    LABEL_REPRINTED = "parcel.label_reprinted"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a staff user, an API key, or someone at the command line."""

    kind: ActorKind
    name: str
    id: int | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor_kind: ActorKind
    actor_id: int | None
    actor: str
    action: str
    merchant_id: int | None
    order_number: str | None
    tracking_number: str | None
    address: str | None
    detail: dict[str, Any] = field(default_factory=dict)


def staff_actor(user: StaffUser, address: str | None) -> Actor:
    return Actor(kind=ActorKind.STAFF, name=user.email, id=user.id, address=address)
