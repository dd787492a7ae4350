"""How the pages join the application: routes and static files.

``ordertrail.app`` calls ``install``, and gives the security headers ``PRIVATE_PREFIXES``: the only place outside
this package that imports it.
"""

from __future__ import annotations

from fastapi import FastAPI

from ordertrail.http.assets import customer_assets
from ordertrail.web import label_pages, limits, merchant_logos, order_pages, tracking_pages
from ordertrail.web.console import (
    action_pages,
    analytics_pages,
    audit_pages,
    auth_pages,
    bulk_pages,
    courier_code_pages,
    detail_pages,
    endpoint_pages,
    fix_pages,
    handover_pages,
    label_print_pages,
    live_pages,
    parcel_pages,
    settings_pages,
    totp_pages,
    unmatched_pages,
)
from ordertrail.web.console.common import PREFIX as CONSOLE_PREFIX

# Responses under these paths show one customer's order: never cached by browsers or proxies.
# The console shows staff data: never cached either.
PRIVATE_PREFIXES = (
    order_pages.PRIVATE_PREFIX,
    "/api/v1/order-views/",
    CONSOLE_PREFIX,
    "/api/v1/parcels",
    "/api/v1/audit-log",
)


def install(app: FastAPI) -> None:
    """Add the customer pages, the staff label form, the console and /static to ``app``."""
    app.mount("/static", customer_assets(), name="static")
    app.include_router(tracking_pages.router)
    app.include_router(merchant_logos.router)
    app.include_router(order_pages.router)
    app.include_router(label_pages.router)
    app.include_router(auth_pages.router)
    app.include_router(totp_pages.router)
    app.include_router(parcel_pages.router)
    app.include_router(detail_pages.router)
    app.include_router(action_pages.router)
    app.include_router(fix_pages.router)
    app.include_router(unmatched_pages.router)
    app.include_router(label_print_pages.router)
    app.include_router(courier_code_pages.router)
    app.include_router(live_pages.router)
    app.include_router(bulk_pages.router)
    app.include_router(handover_pages.router)
    app.include_router(analytics_pages.router)
    app.include_router(audit_pages.router)
    app.include_router(endpoint_pages.router)
    app.include_router(settings_pages.router)
    limits.install(app)
