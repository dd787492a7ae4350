"""A merchant's settings as its people (and its systems) manage them: the name customers see, its logo, the
support contact, its weekly report, its API keys, its webhook endpoints. Every change is written with its audit entry in
one transaction.

Who may: the MANAGE_MERCHANT permission (admins: every merchant; merchant users: their own) and admin and
merchant keys (a merchant key: its own merchant). Another merchant is answered as an unknown one (404).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from ordertrail.adapters.destinations import Resolver, system_resolver
from ordertrail.adapters.logos import check_logo
from ordertrail.domain.accounts import keys as key_rules
from ordertrail.domain.accounts.keys import ApiKey, Role
from ordertrail.domain.accounts.merchant_settings import MerchantSettings, support_email_of, support_url_of
from ordertrail.domain.analytics.weekly import parse_recipients
from ordertrail.domain.errors import Forbidden, InvalidInput, KeyNotFound, MerchantNotFound
from ordertrail.domain.notifying.addresses import WEB_PORTS
from ordertrail.domain.notifying.endpoints import Endpoint
from ordertrail.domain.notifying.outbox import LoggedAttempt
from ordertrail.domain.staff.audit import Action
from ordertrail.domain.staff.roles import Permission
from ordertrail.services.accounts.merchants import MAX_NAME, display_name_of
from ordertrail.services.console.readers import Reader
from ordertrail.services.notifying import endpoints as endpoint_service
from ordertrail.services.notifying.endpoints import EndpointWithSecret
from ordertrail.services.ports import Ports
from ordertrail.storage.accounts import keys as key_store
from ordertrail.storage.accounts import logos as logo_store
from ordertrail.storage.accounts import merchants as merchant_store
from ordertrail.storage.analytics import weekly_reports as report_store
from ordertrail.storage.staff import audit as audit_store

NOT_YOURS = "No merchant of yours has that id."


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A new merchant key: ``plaintext`` is shown once and never stored."""

    key: ApiKey
    plaintext: str


def _manager(reader: Reader) -> frozenset[int] | None:
    if not reader.may(Permission.MANAGE_MERCHANT):
        raise Forbidden("Your role may not manage a merchant's settings, keys or webhook endpoints.")
    return reader.scope


def _check(reader: Reader, merchant_id: int) -> None:
    _manager(reader)
    if not reader.sees(merchant_id):
        raise MerchantNotFound(NOT_YOURS, field="merchant_id")


def _settings(connection: Connection, reader: Reader, merchant_id: int) -> MerchantSettings:
    _check(reader, merchant_id)
    found = merchant_store.merchant_settings(connection, merchant_id)
    if found is None:
        raise MerchantNotFound(NOT_YOURS, field="merchant_id")
    return found


async def merchant_for(services: Ports, reader: Reader, name: str | None) -> int:
    """The merchant a request acts for: the one named, or the reader's only one. Raises Forbidden, InvalidInput
    (``merchant``: none named and several to choose from) and MerchantNotFound (unknown, or not the reader's)."""
    scope = _manager(reader)
    if name is None:
        if scope is not None and len(scope) == 1:
            return next(iter(scope))
        raise InvalidInput("Name the merchant (`merchant`).", field="merchant")
    found = await services.db.read(lambda c: merchant_store.merchant_id_by_name(c, name))
    if found is None or not reader.sees(found):
        raise MerchantNotFound(f"No merchant {name!r} among yours.", field="merchant")
    return found


async def managed_merchants(services: Ports, reader: Reader) -> list[MerchantSettings]:
    """The merchants whose settings the reader manages, by name. Raises Forbidden."""
    scope = _manager(reader)

    def read(connection: Connection) -> list[MerchantSettings]:
        ids = [i for i, _, _ in merchant_store.list_merchants(connection) if scope is None or i in scope]
        found = [merchant_store.merchant_settings(connection, i) for i in ids]
        return sorted((m for m in found if m is not None), key=lambda m: m.name.lower())

    return await services.db.read(read)


async def settings_of(services: Ports, reader: Reader, merchant_id: int) -> MerchantSettings:
    """Raises Forbidden and MerchantNotFound."""
    return await services.db.read(lambda c: _settings(c, reader, merchant_id))


async def change_settings(services: Ports, reader: Reader, merchant_id: int, **given: str | None) -> MerchantSettings:
    """Change the fields given (``display_name``, ``support_email``, ``support_url``; blank clears one); audited
    with each field's value before and after. Raises Forbidden, MerchantNotFound and InvalidInput."""
    checks = {"display_name": display_name_of, "support_email": support_email_of, "support_url": support_url_of}
    unknown = sorted(set(given) - set(checks))
    if unknown:
        raise InvalidInput(f"No setting {unknown[0]!r}.", field=unknown[0])
    values = {name: checks[name](value) for name, value in given.items()}

    def write(connection: Connection) -> MerchantSettings:
        before = _settings(connection, reader, merchant_id)
        changed = {k: {"from": getattr(before, k), "to": v} for k, v in values.items() if getattr(before, k) != v}
        if not changed:
            return before
        merchant_store.update_merchant(connection, merchant_id, **values)
        _audit(services, connection, reader, Action.MERCHANT_SETTINGS_CHANGED, merchant_id, changed)
        after = merchant_store.merchant_settings(connection, merchant_id)
        assert after is not None
        return after

    return await services.db.write(write)


async def set_logo(services: Ports, reader: Reader, merchant_id: int, data: bytes) -> MerchantSettings:
    """Set the merchant's logo from an upload's bytes, checked by decoding them (PNG or JPEG, at most 256 KiB,
    sides of 16–2048 px); audited as a settings change with the logo's version before and after. The same image
    again changes nothing and writes no audit entry. Raises Forbidden, MerchantNotFound and InvalidInput
    (``logo``)."""
    await services.db.read(lambda c: _settings(c, reader, merchant_id))  # who may, before decoding anything
    checked = await asyncio.to_thread(check_logo, data)
    sha256 = hashlib.sha256(data).hexdigest()

    def write(connection: Connection) -> MerchantSettings:
        before = _settings(connection, reader, merchant_id)
        if before.logo is not None and before.logo.sha256 == sha256:
            return before
        logo_store.put_logo(
            connection,
            merchant_id,
            content=data,
            media_type=checked.media_type,
            width=checked.width,
            height=checked.height,
            at=services.clock(),
        )
        after = _settings(connection, reader, merchant_id)
        detail = {"logo": {"from": _version(before), "to": _version(after)}}
        _audit(services, connection, reader, Action.MERCHANT_SETTINGS_CHANGED, merchant_id, detail)
        return after

    return await services.db.write(write)


async def remove_logo(services: Ports, reader: Reader, merchant_id: int) -> MerchantSettings:
    """Remove the merchant's logo (audited; none to remove: nothing happens). Raises Forbidden and
    MerchantNotFound."""

    def write(connection: Connection) -> MerchantSettings:
        before = _settings(connection, reader, merchant_id)
        if before.logo is None:
            return before
        logo_store.remove_logo(connection, merchant_id)
        _audit(services, connection, reader, Action.MERCHANT_SETTINGS_CHANGED, merchant_id,
               {"logo": {"from": _version(before), "to": None}})  # fmt: skip
        return _settings(connection, reader, merchant_id)

    return await services.db.write(write)


def _version(found: MerchantSettings) -> str | None:
    logo = found.logo
    return None if logo is None else f"{logo.sha256} ({logo.media_type}, {logo.size} bytes)"


# -- the weekly report -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WeeklyReportSetting:
    """Whether the merchant receives the weekly report (docs/analytics.md), and at which addresses."""

    enabled: bool
    recipients: list[str]


async def weekly_report_of(services: Ports, reader: Reader, merchant_id: int) -> WeeklyReportSetting:
    """Raises Forbidden and MerchantNotFound."""

    def read(connection: Connection) -> WeeklyReportSetting:
        _settings(connection, reader, merchant_id)
        return WeeklyReportSetting(*report_store.report_setting(connection, merchant_id))

    return await services.db.read(read)


async def change_weekly_report(
    services: Ports, reader: Reader, merchant_id: int, *, enabled: bool, recipients: str
) -> WeeklyReportSetting:
    """Turn the report on or off and set who receives it; audited with before and after. Raises Forbidden,
    MerchantNotFound and InvalidInput (``recipients``: not addresses, or none while turning it on)."""
    addresses = parse_recipients(recipients)
    if enabled and not addresses:
        raise InvalidInput("Name at least one address to send the report to.", field="recipients")

    def write(connection: Connection) -> WeeklyReportSetting:
        _settings(connection, reader, merchant_id)
        before = WeeklyReportSetting(*report_store.report_setting(connection, merchant_id))
        after = WeeklyReportSetting(enabled, addresses)
        if before == after:
            return before
        report_store.set_report(connection, merchant_id, enabled=enabled, recipients=addresses, at=services.clock())
        detail = {
            "enabled": {"from": before.enabled, "to": enabled},
            "recipients": {"from": before.recipients, "to": addresses},
        }
        _audit(services, connection, reader, Action.WEEKLY_REPORT_CHANGED, merchant_id, detail)
        return after

    return await services.db.write(write)


# -- API keys ----------------------------------------------------------------------------------------------------


async def keys_of(services: Ports, reader: Reader, merchant_id: int) -> list[ApiKey]:
    """The merchant's keys, live and revoked, oldest first (never the keys themselves)."""

    def read(connection: Connection) -> list[ApiKey]:
        _settings(connection, reader, merchant_id)
        return key_store.list_keys(connection, merchant_id=merchant_id)

    return await services.db.read(read)


async def create_key(services: Ports, reader: Reader, merchant_id: int, *, name: str) -> CreatedKey:
    """A new merchant key; its plaintext is in the answer only. Raises InvalidInput (``name``)."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"Name the key (1–{MAX_NAME} characters), e.g. where it is used.", field="name")
    new = key_rules.new_key(Role.MERCHANT)

    def write(connection: Connection) -> CreatedKey:
        _settings(connection, reader, merchant_id)
        key_id = key_store.insert_key(
            connection,
            key_hash=new.key_hash,
            display_prefix=new.display_prefix,
            role=Role.MERCHANT,
            name=name,
            merchant_id=merchant_id,
            facility=None,
            at=services.clock(),
        )
        _audit(services, connection, reader, Action.KEY_CREATED, merchant_id, {"key_id": key_id, "name": name})
        [key] = key_store.list_keys(connection, key_id=key_id)
        return CreatedKey(key, new.plaintext)

    return await services.db.write(write)


async def revoke_key(services: Ports, reader: Reader, merchant_id: int, key_id: int) -> ApiKey:
    """Revoke one of the merchant's keys at once. Raises KeyNotFound (also for another merchant's key or one
    revoked already)."""

    def write(connection: Connection) -> ApiKey:
        _settings(connection, reader, merchant_id)
        found = key_store.list_keys(connection, merchant_id=merchant_id, key_id=key_id)
        if not found or not key_store.revoke_key(connection, key_id, at=services.clock()):
            raise KeyNotFound(f"No live key {key_id} of this merchant.", field="key_id")
        _audit(services, connection, reader, Action.KEY_REVOKED, merchant_id, {"key_id": key_id, "name": found[0].name})
        [key] = key_store.list_keys(connection, key_id=key_id)
        return key

    return await services.db.write(write)


# -- webhook endpoints -------------------------------------------------------------------------------------------


def _audited(services: Ports, reader: Reader, action: Action, **detail: Any) -> endpoint_service.AlsoWrite:
    def write(connection: Connection, endpoint: Endpoint) -> None:
        entry = {"endpoint_id": endpoint.id, "url": endpoint.url, **detail}
        _audit(services, connection, reader, action, endpoint.merchant_id, entry)

    return write


async def endpoints_of(services: Ports, reader: Reader, merchant_id: int | None) -> list[Endpoint]:
    """The endpoints of a merchant (None: of every merchant the reader manages)."""
    scope = _manager(reader)
    if merchant_id is not None:
        _check(reader, merchant_id)
    return await endpoint_service.list_endpoints(services, scope=scope, merchant_id=merchant_id)


async def endpoint(services: Ports, reader: Reader, endpoint_id: int) -> Endpoint:
    return await endpoint_service.get_endpoint(services, scope=_manager(reader), endpoint_id=endpoint_id)


async def create_endpoint(
    services: Ports,
    reader: Reader,
    merchant_id: int,
    *,
    url: str,
    event_types: Sequence[str],
    description: str | None,
    allow_private: bool,
    ports: frozenset[int] | None = WEB_PORTS,
    resolver: Resolver = system_resolver,
) -> EndpointWithSecret:
    """Register an endpoint (its secret is in the answer only). Raises UnsafeWebhookUrl, InvalidInput."""
    _check(reader, merchant_id)
    return await endpoint_service.create_endpoint(
        services,
        merchant_id=merchant_id,
        url=url,
        event_types=event_types,
        description=description,
        allow_private=allow_private,
        ports=ports,
        resolver=resolver,
        after=_audited(services, reader, Action.ENDPOINT_CREATED),
    )


async def rotate_secret(services: Ports, reader: Reader, endpoint_id: int) -> EndpointWithSecret:
    return await endpoint_service.rotate_secret(
        services,
        scope=_manager(reader),
        endpoint_id=endpoint_id,
        after=_audited(services, reader, Action.ENDPOINT_SECRET_ROTATED),
    )


async def delete_endpoint(services: Ports, reader: Reader, endpoint_id: int) -> None:
    await endpoint_service.delete_endpoint(
        services,
        scope=_manager(reader),
        endpoint_id=endpoint_id,
        after=_audited(services, reader, Action.ENDPOINT_DELETED),
    )


async def send_test_event(services: Ports, reader: Reader, endpoint_id: int) -> str:
    """Queue a signed ``webhook.test`` message; its message id. Raises Conflict when the endpoint is disabled."""
    return await endpoint_service.send_test_event(
        services,
        scope=_manager(reader),
        endpoint_id=endpoint_id,
        after=_audited(services, reader, Action.ENDPOINT_TEST_SENT),
    )


async def replay(services: Ports, reader: Reader, endpoint_id: int, *, message_ids: Sequence[str] | None) -> int:
    return await endpoint_service.replay(
        services,
        scope=_manager(reader),
        endpoint_id=endpoint_id,
        message_ids=message_ids,
        after=_audited(
            services, reader, Action.ENDPOINT_REPLAYED, message_ids=list(message_ids) if message_ids else "all"
        ),
    )


async def deliveries(
    services: Ports, reader: Reader, endpoint_id: int, *, before: int | None, limit: int
) -> list[LoggedAttempt]:
    return await endpoint_service.deliveries(
        services, scope=_manager(reader), endpoint_id=endpoint_id, before=before, limit=limit
    )


def _audit(
    services: Ports, connection: Connection, reader: Reader, action: Action, merchant_id: int, detail: dict[str, Any]
) -> None:
    at = services.clock()
    audit_store.append(connection, actor=reader.actor, action=action, at=at, merchant_id=merchant_id, detail=detail)
