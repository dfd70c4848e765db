"""The fan-out benchmark's servers as real processes: `interview-api serve` and the floor.

Each is its own process (uvicorn, one worker) so that its CPU time, read from
/proc/<pid>/stat, is the server's alone; the subscribers run in the benchmark's process.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Process:
    name: str
    url: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/graphql"

    def cpu_seconds(self) -> float:
        """User + system CPU time this process has used so far."""
        return cpu_seconds(self.popen.pid)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time of a process (Linux /proc; "self" is this process)."""
    # The command name is in parentheses and may hold spaces: split after it.
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def _wait_ready(process: Process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited with {process.popen.returncode}:\n{process.log_tail()}")
        try:
            if httpx.get(f"{process.url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # polling a condition, with a deadline
    raise TimeoutError(f"{process.name} not ready after {timeout}s:\n{process.log_tail()}")


def _stop(process: Process) -> None:
    if process.popen.poll() is None:
        process.popen.send_signal(signal.SIGTERM)
        try:
            process.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            process.popen.wait()


@contextmanager
def running(name: str, module_args: list[str], env: dict[str, str], logs: Path, *, timeout: float = 60.0) -> Iterator[Process]:
    """`python -m <module_args> --port <free>` until the block ends (then SIGTERM)."""
    port = free_port()
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", *module_args, "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    process = Process(name=name, url=f"http://127.0.0.1:{port}", popen=popen, log=log)
    try:
        _wait_ready(process, timeout)
        yield process
    finally:
        _stop(process)


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
