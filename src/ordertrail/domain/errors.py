"""The error tree. Each error's docstring is its default message; the API maps classes to HTTP in one table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One offending input field (a dotted/indexed path such as ``parcels.0.weight_grams``) and why."""

    field: str
    reason: str


class OrdertrailError(Exception):
    """Something went wrong."""

    def __init__(self, detail: str | None = None, *, field: str | None = None) -> None:
        self.detail = detail or (type(self).__doc__ or "").strip()
        self.field = field
        super().__init__(self.detail)


class InvalidInput(OrdertrailError):
    """The request is not valid."""

    def __init__(
        self, detail: str | None = None, *, field: str | None = None, problems: Sequence[FieldProblem] = ()
    ) -> None:
        super().__init__(detail, field=field)
        self.problems = list(problems) or ([FieldProblem(field, self.detail)] if field else [])


class MalformedBody(InvalidInput):
    """The request body is not valid JSON."""


class InvalidTrackingNumber(InvalidInput):
    """That is not a valid tracking number."""


class NotFound(OrdertrailError):
    """Not found."""


class ParcelNotFound(NotFound):
    """No parcel has that tracking number."""


class OrderNotFound(NotFound):
    """No order has that order number."""


class MerchantNotFound(NotFound):
    """No merchant has that name."""


class KeyNotFound(NotFound):
    """No API key has that id."""


class UnmatchedScan(NotFound):
    """No parcel has that tracking number yet; the scan is kept as unmatched and attaches if it appears."""


class UnmatchedScanNotFound(NotFound):
    """No unmatched scan has that id."""


class CourierMappingNotFound(NotFound):
    """The merchant has no override of that courier code."""


class Conflict(OrdertrailError):
    """The request conflicts with what is already stored."""


class DuplicateOrder(Conflict):
    """An order with that order number already exists for this merchant."""


class DuplicateMerchant(Conflict):
    """A merchant with that name already exists."""


class DuplicateTrackingNumber(Conflict):
    """That tracking number is already in use."""


class EventIdConflict(Conflict):
    """That event_id was already used for a different scan."""


class NotCancellable(Conflict):
    """A parcel is past the point where it can be cancelled (dispatched, delivered, returned)."""


class NoException(Conflict):
    """The parcel has no exception now: there is nothing to mark handled."""


class AlreadyHandled(Conflict):
    """Someone marked this exception handled already, with other words: it is on the parcel's timeline."""


class RecipientFixed(Conflict):
    """A parcel of the order is delivered: its recipient can no longer be corrected."""


class AlreadyVoided(Conflict):
    """That scan was voided already."""


class IdempotencyKeyConflict(Conflict):
    """That Idempotency-Key was already used for a different request: use a new key for a new request."""


class Unauthenticated(OrdertrailError):
    """A valid API key is required: send it as 'Authorization: Bearer <key>'."""


class InvalidPairingCode(Unauthenticated):
    """That pairing code is not valid: it is mistyped, already used or expired. Ask for a new one."""


class Forbidden(OrdertrailError):
    """This API key may not do that."""


class PayloadTooLarge(OrdertrailError):
    """The request is too large."""


class UnsupportedMediaType(OrdertrailError):
    """The request body has a media type this endpoint does not take."""


class RequestTimeout(OrdertrailError):
    """The request did not arrive in time: send it again, all at once."""


class RateLimited(OrdertrailError):
    """Too many requests: slow down."""

    def __init__(self, retry_after_s: int, detail: str | None = None) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class WebhookEndpointNotFound(NotFound):
    """No webhook endpoint of yours has that id."""


class UnsafeWebhookUrl(InvalidInput):
    """That URL may not receive webhooks."""


class InvalidUnsubscribeLink(InvalidInput):
    """That unsubscribe link is not valid."""


class OrderNotVerified(NotFound):
    """We could not find an order with those details."""


class InvalidOrderLink(NotFound):
    """This link is not valid or has expired: look the order up again."""


class OrderLocked(RateLimited):
    """Too many attempts to open this order: try again later."""


class TooManyStreams(RateLimited):
    """Too many live streams from this address: close some first."""


class StoreFull(OrdertrailError):
    """The store is out of disk space: nothing was stored. Try again later."""

    def __init__(self, retry_after_s: int, detail: str | None = None) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class StaffUserNotFound(NotFound):
    """No staff user has that email."""


class DuplicateStaffUser(Conflict):
    """A staff user with that email already exists."""


class InvalidInvitation(NotFound):
    """This invitation link is not valid: it is mistyped, already used or expired. Ask an admin for a new one."""


class WeakPassword(InvalidInput):
    """That password may not be used."""


class SignInFailed(Unauthenticated):
    """The email or the password is not right."""


class SignInLocked(RateLimited):
    """Too many failed sign-ins for this account: try again later."""


class InvalidTotpCode(Unauthenticated):
    """That code is not right, or was already used: type the code your authenticator app shows now."""


class TotpNotEnabled(InvalidInput):
    """Two-step sign-in is not on for this account."""


class SignInChallengeEnded(Unauthenticated):
    """This sign-in took too long or was already finished: sign in again with your password."""


class SessionEnded(Unauthenticated):
    """Your session has ended: sign in again."""


class CsrfRefused(Forbidden):
    """This request did not come from one of our own forms: reload the page and try again."""


class CourierNumberTaken(Conflict):
    """Another parcel was handed to this courier under this tracking number."""
