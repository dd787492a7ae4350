"""Customer emails: SMTP settings, rendering (Jinja2, HTML and plain text per status) and sending (aiosmtplib)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy, Policy
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ordertrail.domain.analytics.weekly import WEEKLY_REPORT
from ordertrail.domain.notifying.outbox import Message
from ordertrail.domain.notifying.unsubscribe import Unsubscription, make_token
from ordertrail.domain.scanning.status import Status, label
from ordertrail.domain.tracking.customer_texts import notice_for

TEMPLATES = Path(__file__).parent / "templates" / "email"

SUBJECTS: Final[dict[str, str]] = {
    Status.ORDER_PLACED: "Your order {order_number} from {merchant_name} is confirmed",
    Status.DISPATCHED: "Your parcel from {merchant_name} is on its way",
    Status.OUT_FOR_DELIVERY: "Your parcel from {merchant_name} is out for delivery today",
    Status.DELIVERED: "Your parcel from {merchant_name} has been delivered",
    Status.DELIVERY_ATTEMPTED: "We missed you: delivery of your parcel from {merchant_name} was attempted",
    Status.EXCEPTION: "A problem with your parcel from {merchant_name}",
    # The delay overlay (one email per order, see domain/notifying/policy.py plan_delays).
    "delayed": "Your order {order_number} from {merchant_name} is running late",
    "delay_cleared": "Your order {order_number} from {merchant_name} is back on schedule",
    # A message staff wrote (services/console/messages.py).
    "message": "A message from {merchant_name} about your parcel {tracking_number}",
}
OVERLAY_LABELS: Final[dict[str, str]] = {
    "delayed": "Running late",
    "delay_cleared": "Back on schedule",
    "message": "A message from the shop",
}
# The logo's height in emails (as on the tracking page); its width follows from its proportions.
LOGO_HEIGHT: Final = 48
REPORT_SUBJECT: Final = "{merchant_name}: your delivery week {week_start} to {week_end}"
GENERIC_SUBJECT: Final = "Your parcel from {merchant_name}: {status_label}"


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to hand emails over, from ``ORDERTRAIL_SMTP_URL``."""

    host: str
    port: int
    use_tls: bool  # TLS from the first byte (smtps://)
    start_tls: bool | None  # None: STARTTLS when the server offers it
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://[user:password@]host[:port][?starttls=true|false]`` or ``smtps://…``; raises ValueError."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("use smtp://[user:password@]host[:port] or smtps://…")
    options = {k.lower(): v[-1].lower() for k, v in parse_qs(parts.query).items()}
    start_tls: bool | None = None
    if "starttls" in options:
        if options["starttls"] not in ("true", "false"):
            raise ValueError("starttls must be true or false")
        start_tls = options["starttls"] == "true"
    use_tls = parts.scheme == "smtps"
    port = parts.port or (465 if use_tls else 587 if start_tls else 25)
    return SmtpServer(
        host=parts.hostname,
        port=port,
        use_tls=use_tls,
        start_tls=False if use_tls else start_tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class UriListHeader(UnstructuredHeader, BaseHeader):
    """``List-Unsubscribe`` and ``List-Unsubscribe-Post`` (RFC 2369, RFC 8058), written exactly as given.

    The default policy turns a long header with no spaces (one https URL) into an RFC 2047 encoded word; mail
    providers read these headers as a plain list of ``<URI>``s, and one-click unsubscribe silently fails on the
    encoded form. So they are folded only after the commas between URIs, never encoded.
    """

    def fold(self, *, policy: Policy) -> str:
        linesep = policy.linesep
        items = [item.strip() for item in str(self).split(",")]
        lines = [f"{self.name}: {items[0]}"]
        width = policy.max_line_length or 998
        for item in items[1:]:
            if len(lines[-1]) + len(item) + 2 <= width:
                lines[-1] += f", {item}"
            else:
                lines[-1] += ","
                lines.append(f" {item}")
        return linesep.join(lines) + linesep


def _email_policy() -> EmailPolicy[EmailMessage]:
    registry = HeaderRegistry()
    registry.map_to_type("list-unsubscribe", UriListHeader)
    registry.map_to_type("list-unsubscribe-post", UriListHeader)
    policy = default_policy.clone(header_factory=registry)
    assert isinstance(policy, EmailPolicy)
    return policy


EMAIL_POLICY: Final = _email_policy()


class PermanentEmailFailure(Exception):
    """The server refused the message for good (a 5xx reply): retrying will not help."""


class EmailRenderer:
    """Builds the email for an outbox row: subject, plain text and HTML, and the unsubscribe headers."""

    def __init__(self, *, public_base_url: str, sender: str, key: bytes) -> None:
        self.base = public_base_url.rstrip("/")
        self.sender = sender
        self.key = key
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # The customer's words for a reason code ("Bad weather is stopping deliveries…"), never the code itself.
        self.env.globals["notice_for"] = notice_for

    def tracking_link(self, tracking_number: str) -> str:
        return f"{self.base}/t/{tracking_number}"

    def logo(self, frozen: dict[str, Any] | None) -> dict[str, Any] | None:
        """The shop's logo as an email shows it: an absolute URL (mail clients have no page to resolve a path
        against), a fixed height and the width that keeps its proportions."""
        if not frozen:
            return None
        width = max(1, round(frozen["width"] * LOGO_HEIGHT / frozen["height"]))
        return {"url": f"{self.base}{frozen['path']}", "width": width, "height": LOGO_HEIGHT}

    def unsubscribe_link(self, merchant_id: int, email: str) -> str:
        return f"{self.base}/unsubscribe/{make_token(self.key, Unsubscription(merchant_id, email))}"

    def _template(self, status: str, extension: str) -> str:
        name = f"{status}.{extension}"
        return name if (TEMPLATES / name).exists() else f"generic.{extension}"

    def render(self, message: Message) -> EmailMessage:
        if message.event_type == WEEKLY_REPORT:
            return self.render_report(message)
        data: dict[str, Any] = json.loads(message.payload)
        assert message.recipient is not None
        status = data["status"]
        unsubscribe = self.unsubscribe_link(data["merchant_id"], message.recipient)
        context = {
            **data,
            "status_label": OVERLAY_LABELS.get(status) or label(status),
            "tracking_link": self.tracking_link(data["tracking_number"]),
            "parcels": [(number, self.tracking_link(number)) for number in data["tracking_numbers"]],
            "unsubscribe_link": unsubscribe,
            # Rows queued before logos and support contacts existed have neither: the templates show none.
            "logo": self.logo(data.get("merchant_logo")),
        }
        subject = SUBJECTS.get(status, GENERIC_SUBJECT).format(**context)
        email = EmailMessage(policy=EMAIL_POLICY)
        display, address = parseaddr(self.sender)
        username, _, domain = address.partition("@")
        email["From"] = Address(
            display_name=f"{data['merchant_name']} via {display or 'ordertrail'}", username=username, domain=domain
        )
        email["To"] = message.recipient
        email["Subject"] = subject
        email["Date"] = format_datetime(message.created_at)
        email["Message-ID"] = f"<{message.message_id}@{domain or 'ordertrail.invalid'}>"
        email["Auto-Submitted"] = "auto-generated"
        # RFC 8058 one-click unsubscribe: mail clients POST "List-Unsubscribe=One-Click" to the https URL.
        email["List-Unsubscribe"] = f"<{unsubscribe}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email.set_content(self.env.get_template(self._template(status, "txt")).render(context))
        email.add_alternative(self.env.get_template(self._template(status, "html")).render(context), subtype="html")
        return email

    def render_report(self, message: Message) -> EmailMessage:
        """A merchant's weekly report to one of its people (no unsubscribe link: they turn it off in the console)."""
        data: dict[str, Any] = json.loads(message.payload)
        assert message.recipient is not None
        email = EmailMessage(policy=EMAIL_POLICY)
        display, address = parseaddr(self.sender)
        username, _, domain = address.partition("@")
        email["From"] = Address(display_name=display or "ordertrail", username=username, domain=domain)
        email["To"] = message.recipient
        email["Subject"] = REPORT_SUBJECT.format(**data)
        email["Date"] = format_datetime(message.created_at)
        email["Message-ID"] = f"<{message.message_id}@{domain or 'ordertrail.invalid'}>"
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(self.env.get_template(f"{WEEKLY_REPORT}.txt").render(data))
        email.add_alternative(self.env.get_template(f"{WEEKLY_REPORT}.html").render(data), subtype="html")
        return email


class EmailSender:
    """Hands rendered emails to the SMTP server."""

    def __init__(self, server: SmtpServer, *, timeout_s: float = 30.0) -> None:
        self.server = server
        self.timeout_s = timeout_s

    async def send(self, email: EmailMessage) -> None:
        """Send one email; raises PermanentEmailFailure for 5xx refusals, other exceptions for transient trouble."""
        try:
            await aiosmtplib.send(
                email,
                hostname=self.server.host,
                port=self.server.port,
                username=self.server.username,
                password=self.server.password,
                use_tls=self.server.use_tls,
                start_tls=self.server.start_tls,
                timeout=self.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            if all(r.code >= 500 for r in error.recipients):
                raise PermanentEmailFailure(str(error)) from error
            raise
        except aiosmtplib.SMTPResponseException as error:
            if error.code >= 500 and not isinstance(error, aiosmtplib.SMTPAuthenticationError):
                raise PermanentEmailFailure(f"{error.code} {error.message}") from error
            raise
