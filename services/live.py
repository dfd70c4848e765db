"""Cross-process live messages: the one interface our code uses on top of broadcaster.

broadcaster 0.3.1 carries the messages (memory://, redis://, postgres://), but its
``Broadcast`` class and its backends lose events silently with the current releases (see
ARCHITECTURE.md, "Known pitfalls"). ``LiveHub`` therefore keeps the channel -> subscriber
bookkeeping itself and drives fixed subclasses of broadcaster's backends:

- a subscription is acknowledged by the backend before ``subscribe()`` returns;
- subscribe/unsubscribe on one channel are serialised by a per-channel lock;
- PostgreSQL publishes through a pool, never on its LISTEN connection;
- a supervised listener reconnects with backoff, re-subscribes every channel and hands
  ``RESYNC`` to every subscriber, who then catches up from the database;
- per-subscriber queues are bounded; a subscriber that falls behind gets ``LiveOverflow``.

Messages are hints that something changed; the database stays the record. A subscriber
that sees ``RESYNC`` or ``LiveOverflow`` re-reads it from its last seq.
"""

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Final, final

from services.live_backends import ACK_TIMEOUT, POSTGRES_MAX_PAYLOAD, LiveMessageTooLarge, backend_for, normalise_url

logger = logging.getLogger(__name__)

__all__ = [
    "ACK_TIMEOUT",
    "POSTGRES_MAX_PAYLOAD",
    "RESYNC",
    "LiveHub",
    "LiveMessageTooLarge",
    "LiveOverflow",
    "LiveSubscription",
    "LiveUnavailable",
    "Resync",
]


class LiveOverflow(Exception):
    """The subscriber fell behind by more than the queue bound; resume from the last seq."""


class LiveUnavailable(Exception):
    """No live messages to be had: the backend could not acknowledge a subscription (it is
    down or reconnecting), or the hub was disconnected under an open subscription."""


@final
class Resync:
    """Yielded when the backend reconnected: messages may have been missed, re-read the DB."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "RESYNC"


RESYNC: Final = Resync()


class LiveSubscription:
    """One subscriber's bounded stream of messages (``str``) and ``RESYNC`` markers.

    Iterate it with ``async for``. It raises ``LiveOverflow`` once it fell more than the
    hub's ``queue_size`` behind and ``LiveUnavailable`` once the hub disconnected, on every
    read from then on (so a caller that loops over it cannot spin); it stops when left.
    """

    def __init__(self, channel: str, queue_size: int) -> None:
        self.channel = channel
        # None is a wake-up: it makes a waiting reader look at the state below.
        self._queue: asyncio.Queue[str | Resync | None] = asyncio.Queue(maxsize=queue_size)
        self._failure: tuple[type[Exception], str] | None = None
        self._closed = False

    def __aiter__(self) -> "LiveSubscription":
        return self

    async def __anext__(self) -> str | Resync:
        if self._failure is None and not (self._closed and self._queue.empty()):
            item = await self._queue.get()
            if item is not None and self._failure is None:
                return item
        if self._failure is not None:
            error, message = self._failure
            raise error(message)
        raise StopAsyncIteration

    def _offer(self, item: str | Resync) -> bool:
        """Queue without waiting; False (and failed) when the subscriber is too slow."""
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            bound = self._queue.maxsize
            self._fail(LiveOverflow, f"subscriber to {self.channel!r} fell {bound}+ behind")
            return False
        return True

    def _fail(self, error: type[Exception], message: str) -> None:
        self._failure = (error, message)
        # What it will never read is memory we can give back now.
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    def _close(self) -> None:
        self._closed = True
        if self._queue.empty():
            self._queue.put_nowait(None)


@dataclass(eq=False)
class _Channel:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    subscribers: set[LiveSubscription] = field(default_factory=set)  # the fan-out
    users: int = 0  # subscribe() contexts inside or waiting for the lock
    backend_subscribed: bool = False


class LiveHub:
    """Publish and subscribe to named channels across processes.

    ``url`` is ``memory://``, ``redis://...``, ``postgres://...`` or ``postgresql://...``
    (``postgresql+asyncpg://`` is accepted). Call ``connect()`` before use and
    ``disconnect()`` at shutdown.

    ``queue_size`` bounds each subscriber's backlog; ``channel_prefix`` namespaces every
    channel name at the backend. After a lost connection the hub
    retries with exponential backoff between ``reconnect_backoff`` (min, max) seconds.
    A Redis connection quiet for ``liveness_interval`` seconds is PINGed, and presumed
    dead when the next quiet spell ends without the PONG.
    """

    def __init__(
        self,
        url: str,
        *,
        queue_size: int = 1000,
        reconnect_backoff: tuple[float, float] = (0.1, 5.0),
        liveness_interval: float = 30.0,
        channel_prefix: str = "",
    ) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        url, self._scheme = normalise_url(url)  # logs name the scheme: URLs hold passwords
        self._backend = backend_for(url, self._scheme, liveness_interval=liveness_interval)
        self._queue_size = queue_size
        self._backoff = reconnect_backoff
        # Channels are global on a Redis or PostgreSQL server: deployments (and test runs)
        # sharing one keep apart by prefix.
        self._prefix = channel_prefix
        self._channels: dict[str, _Channel] = {}
        self._listener: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        """Connect to the backend and start the supervised listener; raises if unreachable."""
        await self._backend.connect()
        self._listener = asyncio.create_task(self._listen(), name=f"live-hub-{self._scheme}")

    async def disconnect(self) -> None:
        """Stop listening, fail every open subscription (LiveUnavailable), close the backend."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            try:
                await listener
            except asyncio.CancelledError:
                pass
        for state in self._channels.values():
            for subscriber in state.subscribers:
                subscriber._fail(LiveUnavailable, "the live hub disconnected")
        await self._backend.disconnect()

    async def publish(self, channel: str, message: str) -> None:
        """Send ``message`` to every subscriber of ``channel`` in every process.

        Never raises for a transport failure: the database is the record and subscribers
        catch up from it, so a failure is logged as a warning and the message dropped.
        """
        refused: tuple[type[Exception], ...] = (
            LiveMessageTooLarge,
            *self._backend.transport_errors,
        )
        channel = self._prefix + channel
        try:
            await self._backend.publish(channel, message)
        except refused:
            logger.warning("live: publish on %r failed; dropped", channel, exc_info=True)

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[LiveSubscription]:
        """Subscribe to ``channel``; the backend has acknowledged it once entered.

        Raises ``LiveUnavailable`` if the backend cannot acknowledge it. Leaving the
        context unsubscribes, and the backend too when it was the channel's last one.
        """
        return self._subscription(self._prefix + channel)

    def stats(self) -> dict[str, int]:
        """Counts for leak checks: channels and subscribers here, channels at the backend."""
        return {
            "channels": len(self._channels),
            "subscribers": sum(len(state.subscribers) for state in self._channels.values()),
            "backend_channels": self._backend.channel_count(),
        }

    @asynccontextmanager
    async def _subscription(self, channel: str) -> AsyncIterator[LiveSubscription]:
        subscriber = LiveSubscription(channel, self._queue_size)
        state = self._channels.get(channel)
        if state is None:
            state = self._channels[channel] = _Channel()
        state.users += 1
        try:
            # The lock makes a newcomer wait while the last subscriber's unsubscribe is in
            # flight; otherwise it would count on a backend subscription about to go away.
            async with state.lock:
                # In the fan-out before the backend subscribes, so nothing acknowledged
                # after that can pass it by.
                state.subscribers.add(subscriber)
                if not state.backend_subscribed:
                    try:
                        await self._backend.subscribe(channel)
                    except self._backend.transport_errors as exc:
                        raise LiveUnavailable(f"could not subscribe to {channel!r}") from exc
                    state.backend_subscribed = True
            yield subscriber
        finally:
            subscriber._close()
            # Shielded: a second cancellation must not leave the backend subscribed.
            await asyncio.shield(self._release(channel, state, subscriber))

    async def _release(self, channel: str, state: _Channel, subscriber: LiveSubscription) -> None:
        state.subscribers.discard(subscriber)
        state.users -= 1
        async with state.lock:
            if state.users == 0 and state.backend_subscribed:
                try:
                    await self._backend.unsubscribe(channel)
                except self._backend.transport_errors:
                    logger.warning("live: unsubscribe from %r failed", channel, exc_info=True)
                # Either way the backend no longer counts it among the channels it
                # re-subscribes after a reconnect.
                state.backend_subscribed = False
            if state.users == 0 and self._channels.get(channel) is state:
                del self._channels[channel]

    async def _listen(self) -> None:
        delay = 0.0  # after a healthy spell, the first reconnect attempt is immediate
        while True:
            try:
                event = await self._backend.next_published()
            except Exception:
                # Supervision: whatever broke the connection, log it and rebuild it.
                logger.exception("live: lost the %s backend; reconnecting", self._scheme)
                delay = await self._reconnect(delay)
                continue
            delay = 0.0
            self._deliver(event.channel, event.message)

    async def _reconnect(self, delay: float) -> float:
        """Reconnect, backing off; return the wait to use should it fail again at once."""
        floor, ceiling = self._backoff
        attempt = 0
        while True:
            if delay:
                # Jitter, so many API processes do not reconnect in lockstep.
                await asyncio.sleep(random.uniform(delay / 2, delay))
            delay = min(max(delay * 2, floor), ceiling)
            attempt += 1
            try:
                await self._backend.reconnect()
            except self._backend.transport_errors as exc:
                # No traceback: one per attempt would flood the log during an outage.
                logger.warning(
                    "live: reconnect to %s failed (attempt %d): %r", self._scheme, attempt, exc
                )
                continue
            except Exception:
                # Not an outage but a fault: full traceback, and keep supervising.
                logger.exception("live: reconnect to %s failed (attempt %d)", self._scheme, attempt)
                continue
            subscribers = sum(len(state.subscribers) for state in self._channels.values())
            logger.warning(
                "live: reconnected to %s after %d attempt(s); resyncing %d subscriber(s)",
                self._scheme,
                attempt,
                subscribers,
            )
            for channel in list(self._channels):
                self._deliver(channel, RESYNC)
            return delay

    def _deliver(self, channel: str, item: str | Resync) -> None:
        state = self._channels.get(channel)
        if state is None:
            return
        for subscriber in list(state.subscribers):
            if not subscriber._offer(item):
                # Never wait for a slow subscriber: drop it from the fan-out; it raises
                # LiveOverflow and its client resumes from the last seq it saw.
                state.subscribers.discard(subscriber)
                logger.warning("live: a subscriber to %r overflowed; dropped", channel)
