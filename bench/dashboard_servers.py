"""The two servers as real processes: the API (`interview-api serve`) and the floor."""

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.processes import ROOT, Server, free_port, start, stop, wait_ready


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
        servers.append(start("api", [sys.executable, "-m", "app.cli", "serve", "--port", str(api_port)],
                              api_env, logs, api_port, api_root))
        servers.append(start("floor", [sys.executable, "-m", "bench.dashboard_floor", "--port", str(floor_port)],
                              {"DATABASE_URL": database_url}, logs, floor_port, ROOT))
        for server in servers:
            wait_ready(server, timeout)
        yield servers[0], servers[1]
    finally:
        for server in servers:
            stop(server)


__all__ = ["ROOT", "Server", "free_port", "serving"]
