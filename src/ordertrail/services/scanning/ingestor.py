"""Group commit for scans: every scan write of a process goes through one ``ScanIngestor``.

Requests that arrive while a commit is in flight are recorded together in the next transaction, so concurrent
single scans share one disk flush, and a batch from an offline handheld takes the very same path.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from ordertrail.adapters.metrics import NO_METRICS, Metrics
from ordertrail.domain.accounts.keys import Role
from ordertrail.domain.errors import Forbidden, Unauthenticated
from ordertrail.domain.scanning.changes import ParcelChange
from ordertrail.domain.scanning.scans import ScanInput
from ordertrail.services.context import Services
from ordertrail.services.scanning.record import ScanResult, record_scans_tx, with_device_facility
from ordertrail.storage.accounts import keys as key_store

SCAN_ROLES = frozenset({Role.SCANNER, Role.ADMIN})


INTEGRITY_RERUNS = 6


logger = logging.getLogger("ordertrail.ingest")

# What a group's transaction returns: each submission's results (or its error, by its place in the group), and
# the changes to publish once committed.
_Answers = tuple[dict[int, list[ScanResult] | Exception], list[ParcelChange]]


@dataclass
class _Submission:
    """One request's scans, the hash of the key it came with, and where its answer goes."""

    scans: Sequence[ScanInput]
    key_hash: str
    future: asyncio.Future[list[ScanResult]]


class ScanIngestor:
    """Group commit for scans: one writer loop per process takes everything pending into one transaction.

    The keys are checked in that same transaction (one query per group, not one read per request): a key
    revoked by then records nothing, and the event loop never waits on the store before a scan is queued.
    """

    def __init__(
        self, services: Services, *, max_group: int = 4000, gather_s: float = 0.001, metrics: Metrics = NO_METRICS
    ) -> None:
        self.services = services
        self.metrics = metrics
        self.max_group = max_group
        self.gather_s = gather_s
        self._pending: list[_Submission] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="ordertrail-scan-ingestor")

    async def stop(self) -> None:
        """Finish what is pending, then stop."""
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def record(self, scans: Sequence[ScanInput], *, key_hash: str) -> list[ScanResult]:
        """Record scans sent with the key of that hash; returns after the commit, one result per scan.

        Raises Unauthenticated (unknown or revoked key) or Forbidden (not a scanner or admin key).
        """
        if self._closing:
            raise RuntimeError("the scan ingestor is stopping")
        self.start()
        future: asyncio.Future[list[ScanResult]] = asyncio.get_running_loop().create_future()
        self._pending.append(_Submission(scans, key_hash, future))
        self._wake.set()
        return await future

    def _take_group(self) -> list[_Submission]:
        group: list[_Submission] = []
        size = 0
        while self._pending and (not group or size + len(self._pending[0].scans) <= self.max_group):
            submission = self._pending.pop(0)
            group.append(submission)
            size += len(submission.scans)
        return group

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                group = self._take_group()
                await self._commit(group)
                await self._gather(expected=len(group) + len(self._pending))
            if self._closing:
                return

    async def _gather(self, *, expected: int) -> None:
        """Under load, give the senders just answered a moment to send their next scans.

        SQLite has one writer: while a group commits, the next one waits, so with N busy clients groups
        alternate at about N/2. Waiting up to ``gather_s`` for the answered senders lets one flush serve all N.
        Idle or lightly loaded (a group of one or two), nothing waits.
        """
        if self.gather_s <= 0 or expected < 4 or self._closing:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.gather_s
        while len(self._pending) < expected and not self._closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), remaining)
            except TimeoutError:
                return

    async def _write_racing_other_processes(self, transaction: Callable[[Connection], _Answers]) -> _Answers:
        """Run a transaction; run it again when another process stored one of its event ids first.

        Two API processes may record the same event id at once (a device retrying against another server).
        The unique constraint lets one win; the other's transaction rolls back and, run again, sees the stored
        scan and answers it as a duplicate. Under contention a rerun can meet another id just being stored: a
        few reruns, a moment apart, settle it.
        """
        for attempt in range(1, INTEGRITY_RERUNS + 1):
            try:
                return await self.services.db.write(transaction)
            except IntegrityError:
                if attempt == INTEGRITY_RERUNS:
                    raise
                await asyncio.sleep(random.uniform(0, 0.005 * attempt))
        raise AssertionError("unreachable")

    def _transaction(self, group: list[_Submission], *, isolated: bool) -> Callable[[Connection], _Answers]:
        """The group's transaction: all its scans recorded together, or (``isolated``) each submission in a
        savepoint of its own, so that one that fails rolls back alone and is answered with its own error."""

        def transaction(connection: Connection) -> _Answers:
            principals = key_store.principals_by_hash(connection, list({s.key_hash for s in group}))
            answers: dict[int, list[ScanResult] | Exception] = {}
            accepted: list[tuple[int, list[tuple[ScanInput, int | None]]]] = []
            for index, submission in enumerate(group):
                principal = principals.get(submission.key_hash)
                if principal is None:
                    answers[index] = Unauthenticated("That API key is not valid (unknown or revoked).")
                elif principal.role not in SCAN_ROLES:
                    answers[index] = Forbidden("Posting scans needs a scanner or admin key.")
                else:
                    items = [(with_device_facility(scan, principal), principal.key_id) for scan in submission.scans]
                    accepted.append((index, items))
            now, estimates, handovers = self.services.clock(), self.services.estimates, self.services.handovers
            if not isolated:
                results, changes = record_scans_tx(
                    connection,
                    [item for _, items in accepted for item in items],
                    now=now,
                    estimates=estimates,
                    handovers=handovers,
                )
                offset = 0
                for index, items in accepted:
                    answers[index] = results[offset : offset + len(items)]
                    offset += len(items)
                return answers, changes
            changes = []
            for index, items in accepted:
                try:
                    with connection.begin_nested():
                        answers[index], recorded = record_scans_tx(
                            connection, items, now=now, estimates=estimates, handovers=handovers
                        )
                except Exception as error:  # whatever it is, it is this submission's alone: the others go on
                    answers[index] = error
                    continue
                changes.extend(recorded)
            return answers, changes

        return transaction

    async def _commit(self, group: list[_Submission]) -> None:
        """Commit the group in one transaction. If that fails, commit it again with each submission in its own
        savepoint: one bad scan (a parcel broken in storage, a value the store refuses) fails only its sender.

        The happy path pays nothing for this (no savepoints); a failing group costs one more transaction.
        """
        started = time.perf_counter()
        if len(group) == 1:
            write = self._write_racing_other_processes(self._transaction(group, isolated=False))
        else:
            write = self.services.db.write(self._transaction(group, isolated=False))
        try:
            answers, changes = await write
        except Exception as error:
            self.metrics.group_failed()
            if len(group) == 1:  # nothing was stored; the sender may retry
                group[0].future.set_exception(error)
                return
            try:
                answers, changes = await self.services.db.write(self._transaction(group, isolated=True))
            except Exception as error:  # the group failed as a whole (the store itself): nothing was stored
                for submission in group:
                    if not submission.future.done():
                        submission.future.set_exception(error)
                return
        raced: list[_Submission] = []
        for index, submission in enumerate(group):
            if submission.future.done():
                continue
            answer = answers[index]
            if isinstance(answer, IntegrityError):
                raced.append(submission)  # maybe another process stored one of its ids first: alone, with reruns
            elif isinstance(answer, Exception):
                submission.future.set_exception(answer)
            else:
                submission.future.set_result(answer)
        if self.metrics.enabled:
            self._count(group, answers, changes, time.perf_counter() - started)
        try:
            await self.services.committed(changes)
        except Exception:  # live updates are best effort: the scans are committed and answered
            logger.exception("after-commit listener failed")
        for submission in raced:
            await self._commit([submission])

    def _count(
        self,
        group: list[_Submission],
        answers: dict[int, list[ScanResult] | Exception],
        changes: list[ParcelChange],
        seconds: float,
    ) -> None:
        """The committed group's figures, recorded once for the whole group (not per scan)."""
        outcomes: Counter[str] = Counter()
        for answer in answers.values():
            if isinstance(answer, list):
                for result in answer:
                    outcomes[result.outcome.value] += 1
        self.metrics.group_committed(
            submissions=[len(s.scans) for s in group],
            outcomes=outcomes,
            estimates=sum(1 for change in changes if change.estimate is not None),
            seconds=seconds,
        )
