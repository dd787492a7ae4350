"""The delivery worker: claims due outbox rows under a lease, delivers them, records every attempt.

At least once: a row is marked delivered only after the receiver accepted it, so a worker killed between the
two sends that message again once its lease runs out. Receivers deduplicate on ``webhook-id``.

The loop keeps up to ``concurrency`` deliveries in flight, claims only as many rows as it has free slots (so
no claimed row waits for a slot while its lease runs), and records finished outcomes together in one
transaction (group commit).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from ordertrail.adapters.destinations import Resolver, system_resolver
from ordertrail.adapters.metrics import NO_METRICS, Metrics
from ordertrail.domain.errors import StoreFull
from ordertrail.domain.notifying.outbox import DEAD, DELIVERED, PENDING, SKIPPED, Attempt, Message, Outcome
from ordertrail.domain.notifying.policy import Channel
from ordertrail.domain.notifying.retries import next_attempt
from ordertrail.notify.email import EmailRenderer, EmailSender, PermanentEmailFailure, parse_smtp_url
from ordertrail.notify.webhooks import WebhookSender
from ordertrail.services.context import Services
from ordertrail.services.notifying import delivery
from ordertrail.services.notifying.delivery import Disable
from ordertrail.setting_groups import NotifySettings

log = logging.getLogger("ordertrail.worker")
# How the metrics name an outcome's state: a pending outcome is a failed attempt that will be retried.
_RESULTS = {DELIVERED: "delivered", PENDING: "failed", DEAD: "dead", SKIPPED: "skipped"}


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    """How a worker runs (from Settings)."""

    schedule: tuple[timedelta, ...]
    concurrency: int = 32
    lease: timedelta = timedelta(minutes=2)
    poll: timedelta = timedelta(seconds=1)
    shutdown_grace: timedelta = timedelta(seconds=20)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """One delivery worker. ``start``/``stop`` in a running loop, or ``await run_until(stop_event)``."""

    def __init__(
        self,
        services: Services,
        config: WorkerConfig,
        *,
        webhooks: WebhookSender,
        renderer: EmailRenderer,
        email: EmailSender | None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self.services = services
        self.metrics = metrics
        self.config = config
        self.webhooks = webhooks
        self.renderer = renderer
        self.email = email
        self.name = worker_name()
        self.channels = (Channel.WEBHOOK.value, Channel.EMAIL.value)
        self._signal = asyncio.Event()
        self._stopping = False
        self._in_flight: dict[asyncio.Task[None], int] = {}
        self._outcomes: list[Outcome] = []
        self._disable: list[Disable] = []
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(
        cls,
        services: Services,
        settings: NotifySettings,
        *,
        key: bytes,
        resolver: Resolver = system_resolver,
        metrics: Metrics = NO_METRICS,
    ) -> Worker:
        """A worker for the notification settings; ``key`` signs the unsubscribe links of its emails."""
        config = WorkerConfig(
            schedule=settings.retry_schedule,
            concurrency=settings.worker_concurrency,
            lease=settings.worker_lease,
            poll=settings.worker_poll,
        )
        return cls(
            services,
            config,
            webhooks=WebhookSender(
                timeout_s=settings.webhook_timeout_s,
                allow_private=settings.webhook_allow_private,
                resolver=resolver,
                ports=settings.webhook_ports,
            ),
            renderer=EmailRenderer(public_base_url=settings.public_base_url, sender=settings.smtp_from, key=key),
            email=EmailSender(parse_smtp_url(settings.smtp_url)) if settings.smtp_url else None,
            metrics=metrics,
        )

    # -- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="ordertrail-delivery-worker")

    def wake(self) -> None:
        """Look for due work now (called after a commit that may have written outbox rows)."""
        self._signal.set()

    async def stop(self) -> None:
        """Graceful: claim nothing more, let deliveries in flight finish (within the grace period), record them."""
        self._stopping = True
        self._signal.set()
        if self._task is not None:
            await self._task
            self._task = None
        await self.webhooks.close()

    async def run_until(self, stop: asyncio.Event) -> None:
        self.start()
        await stop.wait()
        await self.stop()

    # -- the loop -------------------------------------------------------------------------------------------

    async def _run(self) -> None:
        log.info("delivery worker %s started", self.name)
        while not self._stopping:
            try:
                await self._flush()
                waited = await self._fill()
            except StoreFull:  # a known condition, reported by /readyz: one line per poll, not a traceback
                log.warning("delivery worker %s: the store's disk is full, retrying", self.name)
                waited = self.config.poll
            except Exception:  # the store is unreachable or busy: keep the worker alive and try again
                log.exception("delivery worker %s: store error, retrying", self.name)
                waited = self.config.poll
            if self._stopping:
                break
            self._signal.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._signal.wait(), waited.total_seconds())
        await self._drain()
        log.info("delivery worker %s stopped", self.name)

    async def _fill(self) -> timedelta:
        """Claim up to the free slots and start deliveries; returns how long to wait before looking again."""
        free = self.config.concurrency - len(self._in_flight)
        if free <= 0:
            return self.config.poll  # a finishing delivery signals sooner
        claimed = await delivery.claim_due(
            self.services, worker=self.name, lease=self.config.lease, limit=free, channels=self.channels
        )
        for message in claimed:
            task = asyncio.get_running_loop().create_task(self._deliver(message))
            self._in_flight[task] = message.id
            task.add_done_callback(self._done)
        if len(claimed) == free:
            return self.config.poll  # there may be more; a finishing delivery signals
        due = await delivery.next_due(self.services, channels=self.channels)
        if due is None:
            return self.config.poll
        return max(min(due - self.services.clock(), self.config.poll), timedelta(0))

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("delivery failed unexpectedly", exc_info=task.exception())
        self._signal.set()

    async def _flush(self) -> None:
        if not self._outcomes and not self._disable:
            return
        outcomes, disable = self._outcomes, self._disable
        self._outcomes, self._disable = [], []
        try:
            await delivery.record_outcomes(self.services, worker=self.name, outcomes=outcomes, disable=disable)
        except Exception:
            self._outcomes[:0], self._disable[:0] = outcomes, disable  # keep them for the next try
            raise

    async def _drain(self) -> None:
        if self._in_flight:
            _, unfinished = await asyncio.wait(
                list(self._in_flight), timeout=self.config.shutdown_grace.total_seconds()
            )
            held = [self._in_flight[t] for t in unfinished if t in self._in_flight]
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
            with contextlib.suppress(Exception):
                await delivery.release(self.services, worker=self.name, ids=held)
        with contextlib.suppress(Exception):
            await self._flush()

    # -- one delivery ---------------------------------------------------------------------------------------

    def _finish(self, message: Message, outcome: Outcome) -> None:
        """Keep an outcome for the next flush, and count it."""
        self._outcomes.append(outcome)
        latency = None
        if outcome.state == DELIVERED:
            latency = (self.services.clock() - message.created_at).total_seconds()
        self.metrics.outbox_finished(message.channel, _RESULTS.get(outcome.state, outcome.state), latency)

    async def _deliver(self, message: Message) -> None:
        if message.channel == Channel.WEBHOOK.value:
            await self._deliver_webhook(message)
        else:
            await self._deliver_email(message)

    def _failed(self, message: Message, attempt: Attempt, *, retry_after: timedelta | None = None) -> Outcome:
        """A failed attempt: retry on schedule, or hold as dead when the schedule is used up."""
        when = next_attempt(
            self.config.schedule, message.attempts + 1, now=self.services.clock(), retry_after=retry_after
        )
        if when is None:
            return Outcome(message.id, DEAD, attempt, error=attempt.error)
        return Outcome(message.id, PENDING, attempt, next_attempt_at=when, error=attempt.error)

    async def _deliver_webhook(self, message: Message) -> None:
        assert message.endpoint_id is not None
        endpoint, live = await delivery.endpoint_for(self.services, endpoint_id=message.endpoint_id)
        if endpoint is None or not live:
            self._finish(message, Outcome(message.id, DEAD, None, error="endpoint deleted or disabled"))
            return
        at = self.services.clock()
        result = await self.webhooks.send(endpoint, message)
        self.metrics.webhook_attempt(result.status_code, timed_out=(result.error or "").startswith("timed out"))
        attempt = Attempt(
            outbox_id=message.id,
            endpoint_id=endpoint.id,
            attempted_at=at,
            status_code=result.status_code,
            duration_ms=result.duration_ms,
            response_body=result.body,
            error=result.error,
            succeeded=result.succeeded,
        )
        if result.succeeded:
            self._finish(message, Outcome(message.id, DELIVERED, attempt))
        elif result.gone:
            reason = "the endpoint answered 410 Gone"
            self._finish(message, Outcome(message.id, DEAD, attempt, error=reason))
            self._disable.append(Disable(endpoint.id, reason))
        else:
            self._finish(message, self._failed(message, attempt, retry_after=result.retry_after))

    async def _deliver_email(self, message: Message) -> None:
        assert message.recipient is not None
        if self.email is None:
            self._finish(message, Outcome(message.id, SKIPPED, None, error="no SMTP server configured"))
            return
        if await delivery.is_unsubscribed(self.services, merchant_id=message.merchant_id, email=message.recipient):
            self._finish(message, Outcome(message.id, SKIPPED, None, error="the recipient unsubscribed"))
            return
        at = self.services.clock()
        started = time.monotonic()
        error: str | None = None
        permanent = False
        try:
            await self.email.send(self.renderer.render(message))
        except PermanentEmailFailure as failure:
            error, permanent = f"refused: {failure}", True
        except Exception as failure:  # connection trouble, timeouts, 4xx: try again later
            error = f"{type(failure).__name__}: {failure}"
        attempt = Attempt(
            outbox_id=message.id,
            endpoint_id=None,
            attempted_at=at,
            status_code=None,
            duration_ms=int((time.monotonic() - started) * 1000),
            response_body=None,
            error=error,
            succeeded=error is None,
        )
        if error is None:
            self._finish(message, Outcome(message.id, DELIVERED, attempt))
        elif permanent:
            self._finish(message, Outcome(message.id, DEAD, attempt, error=error))
        else:
            self._finish(message, self._failed(message, attempt))
