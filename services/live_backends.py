"""broadcaster's backends, fixed: acknowledged subscriptions, replaceable connections.

The transports under ``services.live.LiveHub``, whose docstring says what each fix is for.
Nothing but ``services.live`` should import this module.
"""

import asyncio
import logging
from collections import deque
from typing import Any, Final, Protocol
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from broadcaster import Event
from broadcaster._backends.memory import MemoryBackend
from broadcaster._backends.postgres import PostgresBackend
from broadcaster._backends.redis import RedisBackend
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import RedisError

logger = logging.getLogger("services.live")

# How long a backend may take to acknowledge SUBSCRIBE/UNSUBSCRIBE on a live connection.
ACK_TIMEOUT: Final = 10.0
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more (BLCKSZ - NAMEDATALEN - 128).
POSTGRES_MAX_PAYLOAD: Final = 7999


class LiveMessageTooLarge(ValueError):
    """The backend cannot carry a message this large (PostgreSQL NOTIFY)."""


class _ConnectionLost(ConnectionError):
    """The backend connection went away; the hub's listener reconnects."""


class Backend(Protocol):
    """What ``LiveHub`` needs of a transport; broadcaster's interface plus recovery."""

    # Failures of the transport itself (not of our code) that publish/subscribe report.
    transport_errors: tuple[type[Exception], ...]

    async def connect(self) -> None: ...
    async def disconnect(self) -> None: ...
    async def subscribe(self, channel: str) -> None: ...  # returns once acknowledged
    async def unsubscribe(self, channel: str) -> None: ...
    async def publish(self, channel: str, message: str) -> None: ...
    async def next_published(self) -> Event: ...  # raises when the connection is lost
    async def reconnect(self) -> None: ...  # a new connection, every channel re-subscribed
    def channel_count(self) -> int: ...


class _MemoryBackend(MemoryBackend):
    """In-process transport: nothing to acknowledge, nothing to lose."""

    transport_errors: tuple[type[Exception], ...] = ()

    async def unsubscribe(self, channel: str) -> None:
        self._subscribed.discard(channel)

    async def reconnect(self) -> None:
        # next_published never fails, so the listener never asks for this.
        return None

    def channel_count(self) -> int:
        return len(self._subscribed)


class _RedisBackend(RedisBackend):
    """Redis Pub/Sub whose SUBSCRIBE is acknowledged and whose connection is replaceable.

    The stock backend marks itself ready before SUBSCRIBE has gone out; with redis-py 8
    its listener then finds nothing subscribed, stops and waits forever. Here the hub's
    listener task is the only reader of the Pub/Sub connection: it reads whether or not
    anything is subscribed, and resolves a future per expected (un)subscribe reply.
    """

    transport_errors: tuple[type[Exception], ...] = (RedisError, OSError)

    def __init__(self, url: str, *, liveness_interval: float = 30.0) -> None:
        # The stock constructor is not called: its client retries and re-subscribes on a
        # new connection behind our back, so we could not tell subscribers to resync.
        # Publishing happens after a commit, with the caller waiting: fail fast, with one
        # retry for a pooled connection that went stale.
        self._client = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=2,
            socket_timeout=2,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 1),
        )
        # socket_timeout bounds the handshake and writes; blocking reads ignore it.
        self._listen_client = aioredis.Redis.from_url(
            url,
            socket_connect_timeout=5,
            socket_timeout=5,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 0),
        )
        self._pubsub_conn: aioredis.client.PubSub | None = None
        self._channels: set[str] = set()
        # Redis answers (un)subscribes in order, one reply per channel: FIFO per key.
        self._acks: dict[tuple[str, str], deque[asyncio.Future[None]]] = {}
        self._received: deque[Event] = deque()
        self._lock = asyncio.Lock()  # one writer of the Pub/Sub connection at a time
        # A half-open connection (peer gone without a FIN) would block the read forever:
        # after this long without traffic send a PING, and give up if the next quiet
        # spell ends without its PONG.
        self._liveness_interval = liveness_interval
        self._ping_unanswered = False

    async def connect(self) -> None:
        pubsub = self._listen_client.pubsub()
        try:
            await pubsub.connect()  # type: ignore[no-untyped-call]  # untyped in redis-py
        except BaseException:
            await pubsub.aclose()
            raise
        self._pubsub_conn = pubsub

    async def disconnect(self) -> None:
        async with self._lock:
            await self._drop_pubsub()
        await self._listen_client.aclose()
        await self._client.aclose()

    async def subscribe(self, channel: str) -> None:
        async with self._lock:
            pubsub = self._connected_pubsub()
            self._channels.add(channel)
            ack = self._expect("subscribe", channel)
            try:
                await pubsub.subscribe(channel)
            except BaseException:
                self._channels.discard(channel)
                self._unexpect("subscribe", channel)
                raise
        try:
            await asyncio.wait_for(ack, ACK_TIMEOUT)
        except BaseException:
            await self._forget(channel)
            raise

    async def unsubscribe(self, channel: str) -> None:
        async with self._lock:
            # Forget it first: a reconnect from now on does not re-subscribe it.
            self._channels.discard(channel)
            if self._pubsub_conn is None:
                return
            ack = self._expect("unsubscribe", channel)
            try:
                await self._pubsub_conn.unsubscribe(channel)
            except BaseException:
                self._unexpect("unsubscribe", channel)
                raise
        try:
            await asyncio.wait_for(ack, ACK_TIMEOUT)
        except _ConnectionLost:
            return  # the connection that had the channel is gone, and with it the channel

    async def publish(self, channel: str, message: str) -> None:
        await self._client.publish(channel, message)

    async def next_published(self) -> Event:
        while not self._received:
            pubsub = self._pubsub_conn
            if pubsub is None:
                raise _ConnectionLost("Redis Pub/Sub connection is closed")
            message = await pubsub.get_message(timeout=self._liveness_interval)
            if message is not None:
                self._dispatch(message)
            elif self._ping_unanswered:
                raise _ConnectionLost(f"Redis sent no PONG within {self._liveness_interval}s")
            else:
                self._ping_unanswered = True
                async with self._lock:
                    await pubsub.ping()
        return self._received.popleft()

    async def reconnect(self) -> None:
        async with self._lock:
            await self._drop_pubsub()
            await self.connect()
            assert self._pubsub_conn is not None
            try:
                if self._channels:
                    acks = [self._expect("subscribe", channel) for channel in self._channels]
                    await self._pubsub_conn.subscribe(*self._channels)
                    # We hold the lock and are the listener: read the replies ourselves.
                    await asyncio.wait_for(self._read_until(acks), ACK_TIMEOUT)
            except BaseException:
                await self._drop_pubsub()
                raise

    def channel_count(self) -> int:
        return len(self._channels)

    def _connected_pubsub(self) -> aioredis.client.PubSub:
        # A closed PubSub would silently take a fresh connection from the pool on the
        # next command, one that nobody reads: refuse instead while reconnecting.
        if self._pubsub_conn is None:
            raise _ConnectionLost("Redis Pub/Sub is reconnecting")
        return self._pubsub_conn

    def _expect(self, kind: str, channel: str) -> asyncio.Future[None]:
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Some replies nobody awaits (see _forget): mark their failure as seen.
        ack.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._acks.setdefault((kind, channel), deque()).append(ack)
        return ack

    def _unexpect(self, kind: str, channel: str) -> None:
        # The command was not sent: withdraw its waiter, the newest for this key.
        waiters = self._acks.get((kind, channel))
        if waiters:
            waiters.pop()
            if not waiters:
                del self._acks[(kind, channel)]

    async def _read_until(self, acks: list[asyncio.Future[None]]) -> None:
        assert self._pubsub_conn is not None
        while not all(ack.done() for ack in acks):
            self._dispatch(await self._pubsub_conn.get_message(timeout=None))

    def _dispatch(self, message: dict[str, Any] | None) -> None:
        if message is None:
            return
        kind = message["type"]
        if kind in ("subscribe", "unsubscribe"):
            key = (kind, message["channel"].decode())
            waiters = self._acks.get(key)
            if waiters:
                # Pop even a cancelled waiter: its reply is this one, keep FIFO aligned.
                ack = waiters.popleft()
                if not waiters:
                    del self._acks[key]
                if not ack.done():
                    ack.set_result(None)
        elif kind == "pong":
            self._ping_unanswered = False
        elif kind == "message":
            try:
                event = Event(message["channel"].decode(), message["data"].decode())
            except UnicodeDecodeError:
                logger.warning("live: dropped a non-UTF-8 Redis message on %r", message["channel"])
                return
            self._received.append(event)

    async def _forget(self, channel: str) -> None:
        # A subscribe that was not acknowledged in time: do not keep it half-subscribed.
        async with self._lock:
            self._channels.discard(channel)
            if self._pubsub_conn is not None:
                # Expected, though not awaited, so the reply keeps the FIFO aligned.
                self._expect("unsubscribe", channel)
                try:
                    await self._pubsub_conn.unsubscribe(channel)
                except self.transport_errors:
                    self._unexpect("unsubscribe", channel)
                    logger.warning(
                        "live: could not unsubscribe %r after a failed subscribe", channel
                    )

    async def _drop_pubsub(self) -> None:
        pubsub, self._pubsub_conn = self._pubsub_conn, None
        self._ping_unanswered = False
        acks, self._acks = self._acks, {}
        for waiters in acks.values():
            for ack in waiters:
                if not ack.done():
                    ack.set_exception(_ConnectionLost("Redis Pub/Sub connection replaced"))
        if pubsub is not None:
            await pubsub.aclose()


class _PostgresBackend(PostgresBackend):
    """LISTEN on one connection, NOTIFY through a pool, and notice when LISTEN dies.

    The stock backend also publishes on its LISTEN connection, so two concurrent
    publishes fail with "another operation is in progress".
    """

    transport_errors: tuple[type[Exception], ...] = (
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        OSError,
    )

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._conn: asyncpg.Connection | None = None
        self._pool: asyncpg.Pool | None = None
        self._channels: set[str] = set()
        self._lock = asyncio.Lock()  # asyncpg runs one operation per connection at a time
        self._notifications: asyncio.Queue[Event | None] = asyncio.Queue()

    async def connect(self) -> None:
        self._pool = await asyncpg.create_pool(self._url, min_size=1, max_size=10)
        try:
            await self._open_listener()
        except BaseException:
            await self._pool.close()
            raise

    async def disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()  # nothing to flush on a LISTEN connection
        if self._pool is not None:
            await self._pool.close()

    async def subscribe(self, channel: str) -> None:
        async with self._lock:
            conn = self._connected()
            # LISTEN has completed when add_listener returns: that is the acknowledgement.
            await conn.add_listener(channel, self._listener)
            self._channels.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        async with self._lock:
            self._channels.discard(channel)
            if self._conn is not None and not self._conn.is_closed():
                await self._conn.remove_listener(channel, self._listener)

    async def publish(self, channel: str, message: str) -> None:
        size = len(message.encode())
        if size > POSTGRES_MAX_PAYLOAD:
            raise LiveMessageTooLarge(
                f"{size}-byte message on {channel!r}: NOTIFY takes at most {POSTGRES_MAX_PAYLOAD}"
            )
        assert self._pool is not None, "publish() before connect()"
        await self._pool.execute("SELECT pg_notify($1, $2)", channel, message)

    async def next_published(self) -> Event:
        event = await self._notifications.get()
        if event is None:
            raise _ConnectionLost("PostgreSQL LISTEN connection lost")
        return event

    async def reconnect(self) -> None:
        async with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                conn.terminate()
            await self._open_listener()

    def channel_count(self) -> int:
        return len(self._channels)

    def _connected(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            raise _ConnectionLost("PostgreSQL LISTEN connection is reconnecting")
        return self._conn

    async def _open_listener(self) -> None:
        # A fresh queue per connection, so the loss marker of an old one cannot end the
        # listening on the next.
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._notifications = queue
        conn = await asyncpg.connect(self._url)
        try:
            for channel in self._channels:
                await conn.add_listener(channel, self._listener)
        except BaseException:
            conn.terminate()
            raise
        conn.add_termination_listener(lambda _conn: queue.put_nowait(None))
        self._conn = conn

    def _listener(self, *args: Any) -> None:
        _conn, _pid, channel, payload = args
        self._notifications.put_nowait(Event(channel=channel, message=payload))


def normalise_url(url: str) -> tuple[str, str]:
    """The URL and its scheme, ``postgresql+asyncpg://`` (SQLAlchemy's spelling) made
    ``postgresql://`` (asyncpg's)."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("memory", "redis", "rediss", "postgres", "postgresql"):
        raise ValueError(f"unsupported live backend URL scheme: {parts.scheme!r}")
    if scheme != parts.scheme:
        url = urlunsplit(parts._replace(scheme=scheme))
    return url, scheme


def backend_for(url: str, scheme: str, *, liveness_interval: float) -> Backend:
    if scheme == "memory":
        return _MemoryBackend(url)
    if scheme in ("redis", "rediss"):
        return _RedisBackend(url, liveness_interval=liveness_interval)
    return _PostgresBackend(url)


