"""Real `interview-api` processes for tests about processes."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

CLI = [sys.executable, "-m", "app.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env(**values: str) -> dict[str, str]:
    merged = dict(os.environ)
    merged.update(values)
    return merged


def wait_until_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # polling a condition with a deadline
    raise TimeoutError(f"{url} not ready after {timeout}s")


@contextmanager
def api_process(database_url: str, **settings: str) -> Iterator[str]:
    """`interview-api serve` on a free port; yields its base URL; stopped with SIGTERM."""
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=env(DATABASE_URL=database_url, LOG_LEVEL="WARNING", **settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()
