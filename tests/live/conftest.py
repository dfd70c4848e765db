"""Fixtures for the live hub tests: service URLs, hubs that always close, a Redis of our own.

A service that cannot be reached skips its tests on a workstation and fails them under CI.
LISTEN/NOTIFY needs no tables, so these use the server's database as it is, not the
migrated per-run database of the top-level ``postgres_url``.
"""

import asyncio
import logging
import shutil
import signal
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import asyncpg
import pytest
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from services.live import LiveHub
from tests.support.services import POSTGRES_URL, REDIS_URL, unavailable

MakeHub = Callable[..., Awaitable[LiveHub]]


@pytest.fixture
async def live_redis_url() -> str:
    client = aioredis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        unavailable(f"Redis of TEST_REDIS_URL is unreachable ({exc})")
    finally:
        await client.aclose()
    return REDIS_URL


@pytest.fixture
async def live_postgres_url() -> str:
    try:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=2)
    except (asyncpg.PostgresError, OSError) as exc:
        unavailable(f"PostgreSQL of TEST_POSTGRES_URL is unreachable ({exc})")
    await conn.close()
    return POSTGRES_URL


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def backend_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    url: str = request.getfixturevalue(f"live_{request.param}_url")
    return url


@pytest.fixture
def channel() -> str:
    # The Redis and PostgreSQL are shared: a channel of its own for every test.
    return f"test-live-{uuid.uuid4().hex}"


@pytest.fixture
async def make_hub() -> AsyncIterator[MakeHub]:
    """Connected hubs, all disconnected at teardown."""
    hubs: list[LiveHub] = []

    async def make(url: str, **options: Any) -> LiveHub:
        hub = LiveHub(url, **options)
        await hub.connect()
        hubs.append(hub)
        return hub

    yield make
    for hub in reversed(hubs):
        await hub.disconnect()


class RedisServer:
    """A redis-server process of our own, to kill and restart on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._process: asyncio.subprocess.Process | None = None
        self._output: asyncio.Task[None] | None = None

    async def start(self) -> None:
        assert self._process is None, "already running"
        self._process = await asyncio.create_subprocess_exec(
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        await asyncio.wait_for(self._ready(), timeout=10)
        # Keep reading its log so a full pipe can never stall it.
        self._output = asyncio.create_task(self._drain())

    def pause(self) -> None:
        """SIGSTOP: its connections stay open, but nothing is answered any more."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    async def kill(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            process.kill()
        await process.wait()
        if self._output is not None:
            await self._output
            self._output = None

    async def _ready(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        while line := await self._process.stdout.readline():
            if b"Ready to accept connections" in line:
                return
        raise RuntimeError(f"redis-server on port {self.port} exited before it was ready")

    async def _drain(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        while await stdout.read(65536):
            pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def redis_server() -> AsyncIterator[RedisServer]:
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not on PATH")
    server = RedisServer(free_port())
    await server.start()
    try:
        yield server
    finally:
        await server.kill()


class _LogSignal(logging.Handler):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()


@pytest.fixture
def hub_lost_its_backend() -> Iterator[asyncio.Event]:
    """Set when the hub logs that it lost its backend connection (to wait on, not poll)."""
    handler = _LogSignal("reconnecting")
    logger = logging.getLogger("services.live")
    logger.addHandler(handler)
    try:
        yield handler.seen
    finally:
        logger.removeHandler(handler)
