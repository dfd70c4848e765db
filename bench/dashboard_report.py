"""Figures from measured windows: the printed table and the JSON record."""

import json
import math
import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.dashboard_load import Window
from bench.dashboard_servers import ROOT

PACKAGES = ("strawberry-graphql", "graphql-core", "sqlalchemy", "asyncpg", "starlette", "uvicorn", "uvloop", "orjson")


@dataclass
class Measured:
    """One server in one scenario, over every round."""

    windows: list[Window] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(w.requests for w in self.windows)

    @property
    def seconds(self) -> float:
        return sum(w.seconds for w in self.windows)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        latencies = sorted(latency for w in self.windows for latency in w.latencies)
        if not latencies:
            return float("nan")
        # Nearest rank: the smallest latency with at least q of the answers at or below it.
        rank = min(len(latencies), max(1, math.ceil(q * len(latencies))))
        return latencies[rank - 1] * 1000

    @property
    def cpu_ms_per_request(self) -> float:
        cpu = sum(w.server_cpu for w in self.windows)
        return cpu * 1000 / self.requests if self.requests else float("nan")

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "errors": sum(w.errors for w in self.windows),
            "req_per_s": round(self.rate, 1),
            "p50_ms": round(self.percentile_ms(0.50), 2),
            "p99_ms": round(self.percentile_ms(0.99), 2),
            "server_cpu_ms_per_request": round(self.cpu_ms_per_request, 3),
            # Share of one core the server used: near 1.0 means it was CPU-bound.
            "server_cpu_share": round(sum(w.server_cpu for w in self.windows) / self.seconds, 2) if self.seconds else None,
            "client_cpu_share": round(sum(w.client_cpu for w in self.windows) / self.seconds, 2) if self.seconds else None,
            "mean_response_bytes": round(sum(w.response_bytes for w in self.windows) / self.requests) if self.requests else 0,
        }


@dataclass
class ScenarioResult:
    name: str
    description: str
    check: dict[str, Any]
    api: Measured = field(default_factory=Measured)
    floor: Measured = field(default_factory=Measured)

    @property
    def ratio(self) -> float:
        return self.api.rate / self.floor.rate if self.floor.rate else float("nan")

    @property
    def cpu_ratio(self) -> float:
        """Floor CPU per request over the API's: the ratio with the machine's noise mostly taken out."""
        return self.floor.cpu_ms_per_request / self.api.cpu_ms_per_request if self.api.requests else float("nan")

    def as_json(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "description": self.description,
            "check": self.check,
            "ratio": round(self.ratio, 4),
            "cpu_ratio": round(self.cpu_ratio, 4),
            "api": self.api.as_json(),
            "floor": self.floor.as_json(),
        }


COLUMNS = (
    ("scenario", 20), ("API req/s", 10), ("floor req/s", 11), ("ratio", 6), ("API p50/p99 ms", 16),
    ("floor p50/p99 ms", 16), ("CPU ms/req API/floor", 20), ("CPU ratio", 9),
)


def _row(cells: list[str]) -> str:
    return "  ".join(cell.rjust(width) if i else cell.ljust(width) for i, (cell, (_, width)) in enumerate(zip(cells, COLUMNS)))


def table(results: list[ScenarioResult]) -> str:
    lines = [_row([name for name, _ in COLUMNS])]
    for r in results:
        lines.append(_row([
            r.name,
            f"{r.api.rate:.1f}",
            f"{r.floor.rate:.1f}",
            f"{r.ratio:.3f}",
            f"{r.api.percentile_ms(0.5):.1f} / {r.api.percentile_ms(0.99):.1f}",
            f"{r.floor.percentile_ms(0.5):.1f} / {r.floor.percentile_ms(0.99):.1f}",
            f"{r.api.cpu_ms_per_request:.2f} / {r.floor.cpu_ms_per_request:.2f}",
            f"{r.cpu_ratio:.3f}",
        ]))
    return "\n".join(lines)


def _git(root: Path, *args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_notes(postgres_version: str, api_root: Path = ROOT) -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "postgres": postgres_version,
        "packages": versions,
        "api_root": str(api_root),
        "git_commit": _git(api_root, "rev-parse", "--short", "HEAD"),
        # Other engineers edit the tree while the bench runs: say whether HEAD is what ran.
        "git_dirty": bool(_git(api_root, "status", "--porcelain", "--untracked-files=no")),
    }


def write_json(payload: dict[str, Any], directory: Path, started: datetime) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"dashboard-{started:%Y-%m-%d-%H%M%S}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


__all__ = ["Measured", "ScenarioResult", "machine_notes", "table", "write_json"]
