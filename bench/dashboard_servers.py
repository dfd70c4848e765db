"""The two servers as real processes: the API (`interview-api serve`) and the floor."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (Linux /proc)."""
        # The command name is in parentheses and may hold spaces: split after it.
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)  # polling a condition with a deadline
    raise TimeoutError(f"{server.name} not ready after {timeout}s:\n{server.log_tail()}")


def _stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def _start(name: str, command: list[str], env: dict[str, str], logs: Path, port: int, cwd: Path) -> Server:
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    return Server(name=name, url=f"http://127.0.0.1:{port}", process=process, log=log)


@contextmanager
def serving(database_url: str, *, api_root: Path = ROOT, timeout: float = 60.0) -> Iterator[tuple[Server, Server]]:
    """The API and the floor on free ports, ready; both stopped (SIGTERM) on exit.

    `api_root` serves the API from another checkout (a git worktree with a candidate
    change): `python -m` puts the working directory first on sys.path, ahead of the
    editable install's finder, so that tree's packages are the ones imported.
    """
    logs = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    api_port, floor_port = free_port(), free_port()
    api_env = {
        "DATABASE_URL": database_url,
        "MAX_PAGE_SIZE": "500",  # the contract caps `first` at 100; the bench asks for 500
        "LOG_LEVEL": "WARNING",
        "EMBEDDED_WEBHOOK_DISPATCHER": "false",
    }
    servers: list[Server] = []
    try:
        servers.append(_start("api", [sys.executable, "-m", "app.cli", "serve", "--port", str(api_port)],
                              api_env, logs, api_port, api_root))
        servers.append(_start("floor", [sys.executable, "-m", "bench.dashboard_floor", "--port", str(floor_port)],
                              {"DATABASE_URL": database_url}, logs, floor_port, ROOT))
        for server in servers:
            _wait_ready(server, timeout)
        yield servers[0], servers[1]
    finally:
        for server in servers:
            _stop(server)


__all__ = ["ROOT", "Server", "free_port", "serving"]
