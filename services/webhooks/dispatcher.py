"""The dispatcher: fan out new events, claim due deliveries, send them concurrently.

The same loop runs as a task inside an API process (embedded mode) and as the
`interview-api worker` process; any number of them can share one PostgreSQL database.
"""

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg

from models.base import utcnow
from models.db import Database
from services.webhooks import fanout, queue
from services.webhooks.notify import Listener
from services.webhooks.policy import RetryPolicy
from services.webhooks.sender import Sender
from services.webhooks.signing import signed_headers
from services.webhooks.stats import AttemptCounters, log_stats, queue_stats
from services.webhooks.urls import Resolver, resolve

logger = logging.getLogger("interview_api.webhooks")

# At most this many outcomes per recording transaction.
_RECORD_BATCH = 200
# Seconds between fan-out passes while no endpoint is enabled anywhere.
_IDLE_FAN_OUT_INTERVAL = 5.0


@dataclass(frozen=True)
class DispatcherConfig:
    # Attempts in flight at once in this dispatcher.
    concurrency: int = 16
    # Seconds one attempt may take, connection to last byte.
    timeout: float = 15.0
    # Seconds a claim lasts; at least twice `timeout`.
    lease: float = 60.0
    # Seconds between looks at the queue when nothing wakes the dispatcher.
    poll_interval: float = 1.0
    # Seconds between log lines about the queue.
    stats_interval: float = 60.0
    allow_private: bool = False
    policy: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        # An attempt is cut off at `timeout`; the rest of the lease covers recording it and
        # clock differences between workers, so a live worker's claim never runs out.
        if self.lease < 2 * self.timeout:
            raise ValueError("the claim lease must be at least twice the attempt timeout")


def new_worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


class Dispatcher:
    """Delivers webhooks until `stop()` (graceful) or cancellation."""

    def __init__(
        self,
        database: Database,
        config: DispatcherConfig,
        *,
        worker_id: str | None = None,
        resolver: Resolver = resolve,
    ) -> None:
        self.database = database
        self.config = config
        self.worker_id = worker_id or new_worker_id()
        self.counters = AttemptCounters()
        self._resolver = resolver
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        # Finished attempts wait here to be recorded together, one transaction per batch.
        self._outcomes: asyncio.Queue[tuple[queue.Outcome, asyncio.Future[queue.Recorded | None]]] = asyncio.Queue()
        self._listener: Listener | None = Listener(database, self.wake) if database.is_postgres else None
        self._next_listen_try = 0.0
        self._next_idle_fan_out = 0.0
        self._statistics_ok = False
        # Set by `wake`; otherwise the event table is looked at once per poll interval, not
        # after every finished attempt.
        self._new_events = True
        self._next_event_check = 0.0
        self._next_stats = time.monotonic() + config.stats_interval

    def wake(self, event_ids: Sequence[int] = ()) -> None:
        """New events were committed: fan them out and send now (registered in
        Runtime.event_hooks, and called on NOTIFY)."""
        self._new_events = True
        self._wakeup.set()

    def stop(self) -> None:
        """Stop claiming; `run` returns once the attempts in flight have been recorded."""
        self._stopping.set()
        self._wakeup.set()

    async def run(self) -> None:
        logger.info("webhook dispatcher %s started (concurrency %d)", self.worker_id, self.config.concurrency)
        failures = 0
        sender = Sender(
            timeout=self.config.timeout,
            allow_private=self.config.allow_private,
            resolver=self._resolver,
            max_connections=max(self.config.concurrency, 10),
        )
        recorder = asyncio.create_task(self._record_outcomes(), name="webhook-recorder")
        try:
            async with sender:
                await self._with_retries(lambda: fanout.ensure_cursor(self.database))
                while not self._stopping.is_set():
                    self._wakeup.clear()
                    try:
                        more = await self._step(sender)
                        failures = 0
                    except Exception:  # noqa: BLE001 - the loop must outlive a database outage; logged with its traceback
                        failures += 1
                        logger.exception("webhook dispatcher %s: pass failed", self.worker_id)
                        more = False
                        await self._sleep(min(self.config.poll_interval * 2**failures, 30.0))
                    if not more:
                        await self._sleep(self.config.poll_interval)
                # Graceful stop: let the attempts in flight finish and be recorded.
                if self._in_flight:
                    await asyncio.wait(self._in_flight, timeout=self.config.timeout + 10)
        finally:
            # Cancelled (or the graceful wait ran out): abandon what is left; the claims
            # expire and another dispatcher sends those deliveries again.
            for task in list(self._in_flight):
                task.cancel()
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)
            recorder.cancel()
            await asyncio.gather(recorder, return_exceptions=True)
            if self._listener is not None:
                await asyncio.shield(self._listener.close())
            logger.info("webhook dispatcher %s stopped", self.worker_id)

    async def _with_retries(self, operation: Callable[[], Awaitable[None]]) -> None:
        delay = self.config.poll_interval
        while not self._stopping.is_set():
            try:
                await operation()
                return
            except Exception:  # noqa: BLE001 - e.g. the database is not up yet: keep trying, logged
                logger.exception("webhook dispatcher %s: cannot start yet", self.worker_id)
                await self._sleep(delay)
                delay = min(delay * 2, 30.0)

    async def _sleep(self, seconds: float) -> None:
        """Wait for a wake-up (new events, a finished attempt, stop) or `seconds`."""
        try:
            await asyncio.wait_for(self._wakeup.wait(), seconds)
        except TimeoutError:
            pass

    async def _step(self, sender: Sender) -> bool:
        """One pass; True when there is more to do at once."""
        await self._ensure_listening()
        fanned = 0
        if self._new_events or time.monotonic() >= self._next_event_check:
            self._new_events = False
            self._next_event_check = time.monotonic() + self.config.poll_interval
            fanned = await self._fan_out()
        free = self.config.concurrency - len(self._in_flight)
        now = utcnow()
        # A cheap read first: claiming is a write transaction (and SQLite has one writer).
        if free > 0 and await queue.has_due(self.database, now):
            jobs = await queue.claim(
                self.database,
                worker=self.worker_id,
                limit=free,
                lease=timedelta(seconds=self.config.lease),
                now=now,
            )
            for job in jobs:
                task = asyncio.create_task(self._attempt(sender, job), name=f"webhook-delivery-{job.delivery_id}")
                self._in_flight.add(task)
                task.add_done_callback(self._attempt_done)
        if time.monotonic() >= self._next_stats:
            self._next_stats = time.monotonic() + self.config.stats_interval
            log_stats(self.worker_id, await queue_stats(self.database, utcnow()), self.counters)
            self.counters.reset()
        return fanned >= fanout.BATCH_SIZE

    async def _fan_out(self) -> int:
        """A fan-out pass if there are new events; how many it took."""
        if not await fanout.has_new_events(self.database):
            return 0
        # With no endpoint anywhere, events only need marking: do it in bulk now and then,
        # not in a write transaction after every commit (SQLite has one writer).
        if time.monotonic() < self._next_idle_fan_out and not await fanout.has_enabled_endpoints(self.database):
            return 0
        fanned = await fanout.fan_out(self.database)
        self._next_idle_fan_out = time.monotonic() + _IDLE_FAN_OUT_INTERVAL
        if fanned and not self._statistics_ok:
            self._statistics_ok = await queue.ensure_statistics(self.database)
        if fanned >= fanout.BATCH_SIZE:
            self._new_events = True  # more where these came from
        return fanned

    def _attempt_done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        # A finished attempt frees a slot and may unblock the session's next event.
        self._wakeup.set()

    async def _ensure_listening(self) -> None:
        if self._listener is None or self._listener.connected or time.monotonic() < self._next_listen_try:
            return
        try:
            await self._listener.connect()
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            self._next_listen_try = time.monotonic() + 30
            logger.warning("webhook dispatcher %s: LISTEN failed (%s); polling only", self.worker_id, error)

    async def _attempt(self, sender: Sender, job: queue.Job) -> None:
        attempted_at = utcnow()
        headers = signed_headers(job.secrets, job.msg_id, int(attempted_at.timestamp()), job.body)
        result = await sender.post(job.url, headers, job.body)
        self.counters.count(job.endpoint_id, result.ok)
        # The slot stays taken until the outcome is recorded: what is in flight is bounded.
        done: asyncio.Future[queue.Recorded | None] = asyncio.get_running_loop().create_future()
        self._outcomes.put_nowait((queue.Outcome(job, result, attempted_at), done))
        recorded = await done
        if recorded is None:
            return  # could not be recorded (logged); the claim expires and it is sent again
        if not result.ok:
            logger.warning(
                "webhooks endpoint=%d delivery=%d attempt failed: %s; %s",
                job.endpoint_id,
                job.delivery_id,
                result.error,
                f"next attempt at {recorded.next_attempt_at.isoformat()}"
                if recorded.next_attempt_at is not None
                else "no attempts left",
            )
        if recorded.endpoint_disabled:
            logger.warning("webhooks endpoint=%d disabled: %s", job.endpoint_id, recorded.endpoint_disabled)
        if recorded.claim_lost:
            logger.warning("webhooks delivery=%d: the claim had expired before the attempt was recorded", job.delivery_id)

    async def _record_outcomes(self) -> None:
        """Record finished attempts: whatever has piled up goes in one transaction, so a
        busy dispatcher commits once per batch, and an idle one at once."""
        while True:
            batch = [await self._outcomes.get()]
            while not self._outcomes.empty() and len(batch) < _RECORD_BATCH:
                batch.append(self._outcomes.get_nowait())
            try:
                recorded: list[queue.Recorded | None] = list(
                    await queue.record(self.database, [outcome for outcome, _ in batch], self.config.policy, now=utcnow())
                )
            except Exception:  # noqa: BLE001 - the claims expire and the deliveries are retried; logged
                logger.exception("webhooks: could not record %d attempts", len(batch))
                recorded = [None] * len(batch)
            for (_, done), result in zip(batch, recorded, strict=True):
                if not done.done():
                    done.set_result(result)
            # Recorded deliveries may unblock their sessions' next events.
            self._wakeup.set()
