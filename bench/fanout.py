"""Fan-out of one session's transcript to N subscribers: the API against a bare WebSocket floor.

For each backend (memory://, redis://) one `interview-api serve` process and one floor
process (bench/fanout_floor.py, the same uvicorn settings) are started; this process is
the client: N graphql-transport-ws sockets on each server, all with the same document,
variables and token (on the API: one shared execution group), and a publisher sending
one HTTP request per message (appendTranscript to the API, POST /publish to the floor).

For each N and each mode (steady: a fixed rate; burst: as fast as the server takes the
requests) it measures the API and then, right after, the floor: delivered messages per
second across all subscribers, publish-to-receive latency (p50/p99, from a send time
stamped into the segment text), and the server's CPU time per delivered message (from
/proc; the steadiest figure on a shared machine). "net" CPU subtracts what the same
requests cost with nobody subscribed (the mutation itself, or the floor's POST).

Run: .venv/bin/python -m bench.fanout [--sizes 100,500,1000] [--messages 300]
     [--backends memory,redis] [--quick]
"""

import argparse
import asyncio
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, ExitStack
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench import fanout_publish as publish
from bench.fanout_client import TRANSCRIPT, TRANSCRIPT_UNSHARED, Fleet, Phase
from bench.fanout_profile import sampling, summary
from bench.fanout_report import (
    Measurement,
    Pair,
    diagnostics,
    measurement,
    table,
    write_json,
)
from bench.fanout_servers import (
    API_COMMAND,
    FLOOR_COMMAND,
    ROOT,
    Server,
    api_env,
    cpu_seconds,
    create_org,
    floor_env,
    running,
)
from bench.fanout_session import started_session

BACKENDS = {"memory": "memory://", "redis": "redis://127.0.0.1:6379/0"}
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Options:
    sizes: list[int]
    messages: int  # per burst
    steady_messages: int
    rate: float  # steady: messages per second
    burst_concurrency: int
    modes: list[str]
    backends: list[str]
    handshakes: int
    compression: bool
    floor_mode: str
    write: bool
    profile: bool  # py-spy on each server during its bursts
    unshared: bool  # API subscribers on a document the API does not share (Strawberry's own path)


@dataclass
class Side:
    """One server under test, its client fleet and its publisher."""

    name: str
    process: Server
    http: httpx.AsyncClient  # to this server
    target: publish.Target
    request_cpu_s: float = 0.0  # the server's CPU per request with nobody subscribed
    fleet: Fleet | None = None
    sample: str = ""  # the last fleet's first message, to check both servers send the same size
    problems: list[str] = field(default_factory=list)  # the last fleet's anomalies


async def _measure(backend: str, side: Side, mode: str, options: Options, tag: str) -> Measurement:
    assert side.fleet is not None
    count = options.steady_messages if mode == "steady" else options.messages
    phase = side.fleet.expect(tag, count)
    server_before, client_before = side.process.cpu_seconds(), cpu_seconds()
    profile: Path | None = None
    with ExitStack() as stack:
        if options.profile and mode == "burst":
            stamp = datetime.now().strftime("%Y-%m-%d-%H%M%S")
            profile = RESULTS / "profiles" / f"fanout-{stamp}-{backend}-{side.name}-{phase.sockets}.txt"
            stack.enter_context(sampling(side.process.pid, profile))
        if mode == "steady":
            await publish.steady(side.target, phase, count, options.rate)
            timeout = 60.0
        else:
            await publish.burst(side.target, phase, count, options.burst_concurrency)
            timeout = 60.0 + phase.expected / 2_000  # generous: a slow server shows as a low rate, not a hang
        complete = await side.fleet.wait(phase, timeout)
    server_cpu, client_cpu = side.process.cpu_seconds() - server_before, cpu_seconds() - client_before
    if profile is not None and profile.exists():
        print(f"{side.name} profile: {profile.relative_to(ROOT)}\n{summary(profile)}", flush=True)
    return measurement(
        backend=backend, server=side.name, mode=mode, phase=phase, complete=complete,
        server_cpu_s=server_cpu, client_cpu_s=client_cpu, request_cpu_s=side.request_cpu_s,
    )


async def _request_cost(side: Side, count: int, concurrency: int) -> float:
    """Server CPU seconds per request when no socket is subscribed (the publisher's own cost)."""
    # Untimed first: the first requests fill caches (parsed documents, connections, imports).
    await publish.burst(side.target, Phase(tag="cold", per_socket=20, sockets=0), 20, concurrency)
    phase = Phase(tag="baseline", per_socket=count, sockets=0)
    before = side.process.cpu_seconds()
    await publish.burst(side.target, phase, count, concurrency)
    return (side.process.cpu_seconds() - before) / count


async def _wait_for(condition: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.05)  # polling a condition, with a deadline


async def _open_fleet(side: Side, n: int, token: str, variables: dict[str, Any], options: Options) -> Fleet:
    query = TRANSCRIPT_UNSHARED if side.name == "api" and options.unshared else TRANSCRIPT
    fleet = Fleet(side.name, side.process.ws_url, token, variables, query=query)
    await fleet.open(n, handshakes=options.handshakes, compression=options.compression)
    side.fleet = fleet
    if side.name == "floor":
        # The floor keeps no history: wait until it has registered every subscription.
        async def registered() -> bool:
            return bool((await side.http.get("/readyz")).json()["subscribers"] >= n)

        await _wait_for(registered, 60, f"the floor did not register {n} subscribers")
    # One message through, to every socket: all subscribed and joined, the paths warm.
    warm = fleet.expect(f"warm{n}", 1)
    await side.target.publish(warm, 0)
    if not await fleet.wait(warm, 120):
        raise TimeoutError(f"{side.name}: {len(warm.latencies_ns)} of {n} sockets got the warm-up message")
    return fleet


async def _scenario(backend: str, n: int, api: Side, floor: Side, token: str, options: Options) -> list[Pair]:
    session_id = await started_session(api.http, token)
    assert isinstance(api.target, publish.ApiTarget)
    api.target.session_id = session_id
    pairs = []
    try:
        for side in (api, floor):
            await _open_fleet(side, n, token, {"id": session_id}, options)
        for mode in options.modes:
            measured = []
            for side in (api, floor):
                measured.append(await _measure(backend, side, mode, options, f"{mode}{n}"))
            pair = Pair(*measured)
            pairs.append(pair)
            print(table([pair]).splitlines()[-1], flush=True)
    finally:
        for side in (api, floor):
            if side.fleet is not None:
                side.sample = side.fleet.sample or ""
                side.problems = side.fleet.problems
                _report_problems(side.fleet)
                await side.fleet.close()
                side.fleet = None
    return pairs


def _report_problems(fleet: Fleet) -> None:
    if fleet.problems:
        print(f"  {fleet.name}: {len(fleet.problems)} anomalies, e.g. {fleet.problems[:3]}", file=sys.stderr)


async def _backend(backend: str, options: Options, notes: dict[str, Any]) -> list[Pair]:
    """Both servers for one backend, on a fresh database; every size and mode."""
    with tempfile.TemporaryDirectory(prefix=f"bench-fanout-{backend}-") as directory, ExitStack() as processes:
        workdir = Path(directory)
        database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        token = create_org(database_url)
        env = api_env(database_url, BACKENDS[backend], f"fanout-bench-{uuid.uuid4().hex[:8]}:")
        api_process = processes.enter_context(running("api", API_COMMAND, env, workdir))
        floor_process = processes.enter_context(running("floor", FLOOR_COMMAND, floor_env(options.floor_mode), workdir))
        async with AsyncExitStack() as clients:
            api_http = await clients.enter_async_context(httpx.AsyncClient(base_url=api_process.url, timeout=60))
            floor_http = await clients.enter_async_context(httpx.AsyncClient(base_url=floor_process.url, timeout=60))
            api_target = publish.ApiTarget(api_http, token, await started_session(api_http, token))
            api = Side("api", api_process, api_http, api_target)
            floor = Side("floor", floor_process, floor_http, publish.FloorTarget(floor_http))
            for side in (api, floor):
                side.request_cpu_s = await _request_cost(side, options.messages, options.burst_concurrency)
                notes[f"{side.name}_request_cpu_us"] = round(side.request_cpu_s * 1e6, 1)
            print(f"{backend}: server CPU per request with nobody subscribed: API {api.request_cpu_s * 1e6:.0f} us "
                  f"(appendTranscript), floor {floor.request_cpu_s * 1e6:.0f} us (POST)", flush=True)
            pairs = []
            for n in options.sizes:
                pairs += await _scenario(backend, n, api, floor, token, options)
                notes[f"N={n}"] = {
                    "message_bytes": {side.name: len(side.sample) for side in (api, floor)},
                    "anomalies": {side.name: _some(side.problems) for side in (api, floor)},
                }
    return pairs


def _some(problems: list[str], shown: int = 5) -> list[str]:
    more = len(problems) - shown
    return problems[:shown] + ([f"... and {more} more"] if more > 0 else [])


def _raise_open_files() -> None:
    # Two fleets of 1,000 sockets, plus HTTP clients, need more than the usual 1,024.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def run(options: Options) -> list[Pair]:
    _raise_open_files()
    pairs: list[Pair] = []
    notes: dict[str, Any] = {}
    print(table([]))
    for backend in options.backends:
        notes[backend] = {}
        pairs += await _backend(backend, options, notes[backend])
    print("\n" + table(pairs))
    print("\n" + diagnostics(pairs))
    if options.write:
        path = write_json(RESULTS, asdict(options), pairs, {"per_backend": notes})
        print(f"\nwritten to {path.relative_to(ROOT)}")
    return pairs


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=None, help="subscriber counts, comma-separated (default 100,500,1000)")
    parser.add_argument("--messages", type=int, default=None, help="messages per burst (default 300)")
    parser.add_argument("--steady-messages", type=int, default=None, help="messages in the steady phase (default 100)")
    parser.add_argument("--rate", type=float, default=10.0, help="steady phase: messages per second (default 10)")
    parser.add_argument("--burst-concurrency", type=int, default=4, help="burst: requests in flight (default 4)")
    parser.add_argument("--modes", default="steady,burst")
    parser.add_argument("--backends", default=None, help="memory,redis (default both)")
    parser.add_argument("--handshakes", type=int, default=50, help="WebSocket handshakes in flight")
    parser.add_argument(
        "--compression", action="store_true",
        help="negotiate permessage-deflate, as browsers do (default off: the issue's figures were taken without)",
    )
    parser.add_argument("--floor-mode", choices=["direct", "queued"], default="direct")
    parser.add_argument("--quick", action="store_true", help="N=100, 100 messages, memory only: a smoke run")
    parser.add_argument("--no-write", action="store_true", help="do not write bench/results/fanout-*.json")
    parser.add_argument("--py-spy", action="store_true", help="sample each server with py-spy during its bursts")
    parser.add_argument(
        "--unshared", action="store_true",
        help="API subscribers use a document the API does not share: one execution per subscriber, for comparison",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    return Options(
        sizes=[int(s) for s in (args.sizes or ("100" if quick else "100,500,1000")).split(",")],
        messages=args.messages or (100 if quick else 300),
        steady_messages=args.steady_messages or (30 if quick else 100),
        rate=args.rate,
        burst_concurrency=args.burst_concurrency,
        modes=[m for m in args.modes.split(",") if m],
        backends=(args.backends or ("memory" if quick else "memory,redis")).split(","),
        handshakes=args.handshakes,
        compression=args.compression,
        floor_mode=args.floor_mode,
        write=not args.no_write,
        profile=args.py_spy,
        unshared=args.unshared,
    )


def main(argv: list[str] | None = None) -> None:
    options = parse_options(argv)
    try:
        import uvloop  # the client is the other half of every measurement: give it the fast loop
    except ImportError:
        asyncio.run(run(options))
    else:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(run(options))


if __name__ == "__main__":
    main()
