"""The fan-out benchmark's servers as real processes: `interview-api serve` and the floor.

Each is its own process (uvicorn, one worker) so that its CPU time, read from
/proc/<pid>/stat, is the server's alone; the subscribers run in the benchmark's process.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.processes import ROOT, Server, cpu_seconds, free_port, start, stop, wait_ready


__all__ = ["ROOT", "Server", "cpu_seconds", "free_port"]


def create_org(database_url: str, name: str = "bench") -> str:
    """A fresh organization (migrating the database first); its ADMIN token."""
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "create-org", name],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


@contextmanager
def running(name: str, module_args: list[str], env: dict[str, str], logs: Path, *, timeout: float = 60.0) -> Iterator[Server]:
    """`python -m <module_args> --port <free>` until the block ends (then SIGTERM)."""
    port = free_port()
    server = start(name, [sys.executable, "-m", *module_args, "--port", str(port)], env, logs, port)
    try:
        wait_ready(server, timeout)
        yield server
    finally:
        stop(server)


def api_env(database_url: str, broadcast_url: str, channel_prefix: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "BROADCAST_URL": broadcast_url,
        "LIVE_CHANNEL_PREFIX": channel_prefix,
        # Both servers without access logs, and no webhook poller ticking in the API's CPU time.
        "LOG_LEVEL": "WARNING",
        "EMBEDDED_WEBHOOK_DISPATCHER": "false",
    }


def floor_env(mode: str) -> dict[str, str]:
    return {"LOG_LEVEL": "WARNING", "FANOUT_FLOOR_MODE": mode}


API_COMMAND = ["app.cli", "serve"]
FLOOR_COMMAND = ["bench.fanout_floor"]
