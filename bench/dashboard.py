"""Benchmark of the read path: the API against a hand-written floor, in the same run.

Seeds (or reuses) a PostgreSQL database of 5,000 applications, serves the API and the
floor (bench/dashboard_floor.py) as real uvicorn processes, checks that both answer with the
same data, then loads each with the same requests and prints req/s, p50/p99 latency and
the API/floor ratios. Figures from this shared 2-core machine are noisy; the ratios,
measured back to back in alternating rounds, are what to compare across runs.

    .venv/bin/python bench/dashboard.py [--duration 10] [--concurrency 8] [--reseed] [--profile]
"""

import sys
from pathlib import Path

# Run as a script (`python bench/dashboard.py`), so make the repository importable.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse
import asyncio
import os
import tempfile
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx

from bench import dashboard_profile as profile
from bench import dashboard_queries as queries
from bench import dashboard_report as report
from bench.dashboard_dataset import Shape
from bench.dashboard_load import measure
from bench.dashboard_queries import Scenario
from bench.dashboard_report import ScenarioResult
from bench.dashboard_seeding import Seeded, ensure_seeded
from bench.dashboard_servers import Server, serving
from services.ids import to_global_id

RESULTS = ROOT / "bench" / "results"
DETAIL_SESSIONS = 200  # the session-detail scenario rotates over this many scored sessions
CHECKED_BODIES = 50  # how many of a scenario's distinct requests are compared API vs floor


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per server and scenario")
    parser.add_argument("--rounds", type=int, default=2,
                        help="split the duration into this many alternating API/floor windows (evens out drift)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each window")
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections sending requests")
    parser.add_argument("--page-sizes", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--applications", type=int, default=Shape.applications)
    parser.add_argument("--only", choices=["dashboard", "session"], help="run one kind of scenario")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
                        help="the PostgreSQL server (trust auth); env BENCH_POSTGRES_URL")
    parser.add_argument("--database", default="bench_dashboard", help="the benchmark's own database on that server")
    parser.add_argument("--reseed", action="store_true", help="drop and seed the database even if it is current")
    parser.add_argument("--profile", action="store_true",
                        help="after measuring, sample the API with py-spy under each scenario's load")
    parser.add_argument("--profile-seconds", type=float, default=10.0)
    parser.add_argument("--api-root", type=Path, default=ROOT,
                        help="serve the API from this checkout (e.g. a worktree with a candidate change)")
    parser.add_argument("--no-json", action="store_true", help="do not write bench/results/dashboard-<date>.json")
    return parser.parse_args(argv)


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# --- scenarios and the honesty check -------------------------------------------------------------


async def detail_sessions(seeded: Seeded, count: int) -> list[str]:
    """Scored sessions (they have everything the detail shows), spread over the dataset."""
    conn = await asyncpg.connect(seeded.url)
    try:
        ids = [row["id"] for row in await conn.fetch(
            "SELECT s.id FROM session s JOIN scorecard c ON c.session_id = s.id WHERE s.template_id = $1 ORDER BY s.id",
            seeded.template_id,
        )]
    finally:
        await conn.close()
    step = max(1, len(ids) // count)
    return [to_global_id("Session", pk) for pk in ids[::step][:count]]


def scenarios(args: argparse.Namespace, seeded: Seeded, sessions: list[str]) -> list[Scenario]:
    chosen = []
    if args.only in (None, "dashboard"):
        template = to_global_id("Template", seeded.template_id)
        chosen += [queries.dashboard(template, first) for first in args.page_sizes]
    if args.only in (None, "session"):
        chosen.append(queries.session_detail(sessions))
    return chosen


async def _data(client: httpx.AsyncClient, server: Server, token: str, body: bytes) -> Any:
    response = await client.post(
        f"{server.url}/graphql", content=body,
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    payload = response.json()
    if response.status_code != 200 or payload.get("errors") or payload.get("data") is None:
        raise SystemExit(f"{server.name} answered {response.status_code}: {str(payload)[:600]}")
    return payload["data"]


async def check(api: Server, floor: Server, token: str, scenario: Scenario) -> dict[str, Any]:
    """Both servers give the same data for the scenario's requests, or the run stops here."""
    summary: dict[str, Any] = {"compared_requests": 0, "identical": True}
    async with httpx.AsyncClient(timeout=60) as client:
        for body in scenario.bodies[:CHECKED_BODIES]:
            api_data = await _data(client, api, token, body)
            floor_data = await _data(client, floor, token, body)
            found = queries.differences(api_data, floor_data)
            if found:
                raise SystemExit(f"{scenario.name}: the floor's data differs from the API's:\n  " + "\n  ".join(found))
            summary["compared_requests"] += 1
            if scenario.operation == "Dashboard":
                summary.update(queries.dashboard_summary(api_data))
            else:
                session = api_data["session"]
                summary["transcript_segments"] = len(session["transcript"])
                summary["events"] = summary.get("events", 0) + len(session["events"])
    return summary


# --- measuring -----------------------------------------------------------------------------------


async def measure_scenario(api: Server, floor: Server, token: str, scenario: Scenario,
                           args: argparse.Namespace) -> ScenarioResult:
    result = ScenarioResult(scenario.name, scenario.description, await check(api, floor, token, scenario))
    say(f"{scenario.name}: same data from both ({result.check}); measuring")
    for round_index in range(args.rounds):
        # Alternate who goes first, so a burst of load from elsewhere hits both alike.
        order = [(api, result.api), (floor, result.floor)]
        for server, measured in order if round_index % 2 == 0 else order[::-1]:
            window = await measure(
                server.url, token, scenario.bodies, concurrency=args.concurrency, warmup=args.warmup,
                duration=args.duration / args.rounds, server_cpu=server.cpu_seconds,
            )
            measured.windows.append(window)
            say(f"  {server.name:5} round {round_index + 1}: {window.requests / window.seconds:8.1f} req/s"
                f"  errors {window.errors}  server CPU {window.server_cpu / window.seconds:.0%}")
    return result


async def profile_scenario(api: Server, token: str, scenario: Scenario, args: argparse.Namespace,
                           stamp: str) -> dict[str, Any]:
    """The API under this scenario's load while py-spy samples it; the summary of the samples."""
    # The raw stacks are large and only worth keeping while investigating: not in the repo.
    directory = Path(tempfile.gettempdir()) / "bench-dashboard-profiles"
    directory.mkdir(parents=True, exist_ok=True)
    output = directory / f"{stamp}-{scenario.name.replace(' ', '-').replace('=', '')}.txt"
    seconds = args.profile_seconds
    load = asyncio.create_task(measure(
        api.url, token, scenario.bodies, concurrency=args.concurrency, warmup=1.0, duration=seconds + 1.5,
        server_cpu=api.cpu_seconds,
    ))
    await asyncio.sleep(1.0)
    sampler = profile.record(api.pid, seconds, output)
    await load
    _, stderr = await asyncio.to_thread(sampler.communicate)
    if sampler.returncode != 0 or not output.exists():
        raise SystemExit(f"py-spy failed ({sampler.returncode}): {stderr.decode(errors='replace')[-600:]}")
    summary = profile.summarize(output)
    print(profile.format_summary(f"API profile, {scenario.name}", summary), flush=True)
    return {"raw_stacks": str(output), **summary}


# --- the run -------------------------------------------------------------------------------------


async def postgres_version(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


async def run(args: argparse.Namespace) -> int:
    started = datetime.now(UTC)
    seeded = await ensure_seeded(args.postgres, args.database, Shape(applications=args.applications),
                                 reseed=args.reseed, print_step=say)
    chosen = scenarios(args, seeded, await detail_sessions(seeded, DETAIL_SESSIONS))
    machine = report.machine_notes(await postgres_version(seeded.url), args.api_root.resolve())
    results: list[ScenarioResult] = []
    profiles: dict[str, Any] = {}
    with serving(seeded.url, api_root=args.api_root.resolve()) as (api, floor):
        say(f"api pid {api.pid} at {api.url}; floor pid {floor.pid} at {floor.url}")
        for scenario in chosen:
            results.append(await measure_scenario(api, floor, seeded.token, scenario, args))
        if args.profile:
            for scenario in chosen:
                profiles[scenario.name] = await profile_scenario(api, seeded.token, scenario, args,
                                                                 f"{started:%Y-%m-%d-%H%M%S}")
    print()
    print(report.table(results))
    print(f"\nratio = API req/s / floor req/s; CPU ratio = floor CPU ms per request / API's. "
          f"{args.concurrency} connections, {args.duration:g}s per server and scenario in {args.rounds} rounds.")
    if not args.no_json:
        path = report.write_json({
            "date": started.isoformat(timespec="seconds"),
            "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "postgres"},
            "machine": machine,
            "dataset": {"counts": seeded.counts, "rollups": seeded.rollups, "seeding_seconds": seeded.seconds,
                        "reused": seeded.seconds is None},
            "results": [r.as_json() for r in results],
            "profiles": profiles,
        }, RESULTS, started)
        say(f"wrote {path.relative_to(ROOT)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(run(args))
    # The client runs on uvloop too, so it stays far cheaper than the servers it loads.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
