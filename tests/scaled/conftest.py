"""Fixtures for tests of several API processes: the machine's Redis, a Redis of our own."""

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis
from redis.exceptions import RedisError

from tests.support.processes import free_port
from tests.support.services import REDIS_URL, unavailable


@pytest.fixture
def redis_url() -> str:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except (RedisError, OSError) as error:
        unavailable(f"Redis of TEST_REDIS_URL is unreachable ({error})")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def channel_prefix() -> str:
    """Channels are global on a Redis server: each test gets its own namespace."""
    return f"test-{uuid.uuid4().hex[:8]}"


class OwnRedis:
    """A redis-server of this test on a port of its own, to stop and start at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)  # polling for the port with a deadline
        raise TimeoutError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not on PATH")
    server = OwnRedis()
    server.start()
    yield server
    server.stop()
