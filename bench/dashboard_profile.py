"""Sampling the API process with py-spy while it is under load, and summing up the samples.

py-spy's raw output is one line per distinct stack: `frame;frame;...;leaf count`, each
frame `function (file:line)`. The summary attributes each sample to the layer of its
leaf frame (where the CPU actually was) and counts, per function, the samples it appears
in at all (inclusive), which is how much faster a request would get without it.
"""

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.dashboard_servers import ROOT

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")

# The layer of a frame, by the first component of its file path (py-spy prints paths
# relative to the sys.path entry they were imported from).
LAYERS = {
    "graphql": "graphql-core",
    "strawberry": "strawberry",
    "sqlalchemy": "sqlalchemy",
    "asyncpg": "asyncpg",
    "sqlmodel": "sqlmodel",
    "pydantic": "pydantic",
    "starlette": "starlette + uvicorn",
    "uvicorn": "starlette + uvicorn",
    "httptools": "starlette + uvicorn",
    "app": "our code",
    "schema": "our code",
    "resolvers": "our code",
    "services": "our code",
    "models": "our code",
    "asyncio": "asyncio (stdlib)",
    "uvloop": "asyncio (stdlib)",
    "json": "json (stdlib)",
    "<string>": "generated code (<string>)",
}
_PREFIXES = ("/site-packages/", str(ROOT) + "/", "/lib/python3.11/")
# Frames every sample passes through on its way to the event loop: left out of the
# inclusive list, where they would only crowd out the informative ones.
_ENTRY_FILES = ("<frozen runpy>", "app/cli.py", "uvicorn/main.py", "uvicorn/_compat.py", "uvicorn/server.py",
                "asyncio/runners.py")


# Known costs of the read path, each recognised by a frame on the stack; their shares are
# printed on every run, so a change that removes one shows up as that line going down.
WATCH = {
    "GraphQL parse": "parse (graphql/language/parser.py",
    "GraphQL validation": "validate_document (strawberry/schema/schema.py",
    "under graphql-core's executor (resolvers included)": "graphql/execution/",
    "selected_paths (prefetch planning)": "selected_paths (resolvers/selection.py",
    "pool pre-ping": "_async_ping (sqlalchemy/dialects/postgresql/asyncpg.py",
    "BEGIN (transaction start)": "Transaction.start (asyncpg/transaction.py",
    "ROLLBACK (transaction end)": "Transaction.rollback (asyncpg/transaction.py",
    "new PostgreSQL connections": "_connect (asyncpg/connect_utils.py",
    "closing sessions": "AsyncSession.close (sqlalchemy/ext/asyncio/session.py",
    "DataLoader batches": "dispatch_batch (strawberry/dataloader.py",
    "rows -> GraphQL objects (from_row)": ".from_row (schema/types/",
    "JSON encoding of the answer": "encode_json (strawberry/http/base.py",
}


def py_spy() -> str | None:
    return shutil.which("py-spy") or next(
        (str(p) for p in [Path(sys.executable).parent / "py-spy"] if p.exists()), None
    )


def record(pid: int, duration: float, output: Path, *, rate: int = 250) -> subprocess.Popen[bytes]:
    """Start sampling `pid` for `duration` seconds into `output` (raw, collapsed stacks)."""
    executable = py_spy()
    if executable is None:
        raise RuntimeError("py-spy is not installed: .venv/bin/pip install py-spy")
    return subprocess.Popen(
        # --nonblocking: do not pause the process at each sample, so the load is not slowed.
        [executable, "record", "--pid", str(pid), "--duration", str(int(duration)), "--rate", str(rate),
         "--format", "raw", "--nonblocking", "--output", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _relative(file: str) -> str:
    for prefix in _PREFIXES:
        if prefix in file:
            return file.split(prefix, 1)[1]
    return file


def _layer(file: str) -> str:
    first = _relative(file).split("/", 1)[0]
    if first in LAYERS:
        return LAYERS[first]
    return "other stdlib" if first.endswith(".py") or first.startswith("<frozen") else f"other ({first})"


def _short(function: str, file: str) -> str:
    return f"{function} ({_relative(file)})"


def _frames(stack: str) -> list[tuple[str, str]]:
    frames = []
    for raw in stack.split(";"):
        match = _FRAME.match(raw)
        if match is not None:
            frames.append((match["function"], match["file"]))
    return frames


def summarize(path: Path, *, top: int = 25) -> dict[str, Any]:
    self_by_layer: Counter[str] = Counter()
    self_by_function: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    watched: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count, frames = int(count_text), _frames(stack)
        if not frames:
            continue
        total += count
        for label, marker in WATCH.items():
            if marker in stack:
                watched[label] += count
        function, file = frames[-1]
        self_by_layer[_layer(file)] += count
        self_by_function[_short(function, file)] += count
        for name in {_short(f, p) for f, p in frames if not _relative(p).startswith(_ENTRY_FILES)}:
            inclusive[name] += count

    def shares(counter: Counter[str], n: int) -> list[tuple[str, float]]:
        return [(name, round(count / total, 4)) for name, count in counter.most_common(n)] if total else []

    return {
        "samples": total,
        "watched": [(label, round(watched[label] / total, 4)) for label in WATCH] if total else [],
        "self_by_layer": shares(self_by_layer, len(self_by_layer)),
        "self_by_function": shares(self_by_function, top),
        "inclusive_by_function": shares(inclusive, top * 2),
    }


def format_summary(title: str, summary: dict[str, Any]) -> str:
    lines = [f"{title}: {summary['samples']} samples", "  known costs (share of samples with that frame on the stack; they overlap):"]
    lines += [f"    {share:6.1%}  {name}" for name, share in summary["watched"]]
    lines.append("  CPU by layer (leaf frame):")
    lines += [f"    {share:6.1%}  {name}" for name, share in summary["self_by_layer"]]
    lines.append("  hottest functions (self):")
    lines += [f"    {share:6.1%}  {name}" for name, share in summary["self_by_function"][:15]]
    lines.append("  inclusive (share of samples the function is on the stack):")
    lines += [f"    {share:6.1%}  {name}" for name, share in summary["inclusive_by_function"][:30]]
    return "\n".join(lines)


__all__ = ["format_summary", "py_spy", "record", "summarize"]
