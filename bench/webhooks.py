"""Webhook delivery, end to end: transition committed -> receiver answered 2xx.

    .venv/bin/python -m bench.webhooks [--sessions 300] [--concurrency 16] [--paced-rate 40]

On the machine's PostgreSQL (TEST_POSTGRES_URL, a fresh database per run, dropped at the
end), against a local receiver (a Starlette app under uvicorn, in its own process, that
answers 204 and notes when each webhook-id arrived):

- floor: that receiver hit directly by a plain httpx loop with the same signed bodies, with
  as many requests in flight as one worker has and as two have (the faster is the floor);
- live, 1 and 2 `interview-api worker` processes: a producer commits session transitions
  (created, started, completed, scored) in parallel sessions, as fast as it can and then
  paced at --paced-rate events/s, and tells the workers by NOTIFY like an API process does;
  deliveries/s over first commit -> last 2xx, and commit -> 2xx latency per event (p50,
  p99). As fast as possible, the producer's own transactions are the limit on this
  machine; paced, the latency is that of a dispatcher that keeps up;
- drain, 1 and 2 workers: the same events committed first, then the workers started;
  deliveries/s from the first 2xx to the last (what the dispatchers can do with no producer
  competing for the CPU).

Figures are printed next to the floor of the same run, as ratios. Everything shares this
machine's CPUs (the receiver, PostgreSQL, the workers, the producer), so read the ratios
rather than the absolute numbers.
"""

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.processes import cpu_seconds
from models import Event, Role
from models.db import Database, create_database
from models.migrate import upgrade_async
from models.webhooks import WebhookEndpoint
from services import applications, scoring, sessions, templates
from services.auth import Actor, create_organization
from services.ids import to_global_id
from services.live import LiveHub
from services.scoring import CriterionInput
from services.uow import Runtime, unit_of_work
from services.webhooks.notify import Notifier
from services.webhooks.signing import event_body, new_secret, signed_headers

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


# --- the receiver (its own process) ---------------------------------------------------------


def receiver_app() -> Starlette:
    arrivals: dict[str, float] = {}

    async def hook(request: Request) -> Response:
        await request.body()
        arrivals.setdefault(request.headers["webhook-id"], time.time())
        return Response(status_code=204)

    async def results(request: Request) -> Response:
        return JSONResponse(arrivals)

    async def reset(request: Request) -> Response:
        arrivals.clear()
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route("/hook", hook, methods=["POST"]),
            Route("/results", results),
            Route("/reset", reset, methods=["POST"]),
        ]
    )


def serve_receiver(port: int) -> None:
    uvicorn.run(receiver_app(), host="127.0.0.1", port=port, log_level="warning", backlog=4096)


class ReceiverControl:
    """The bench's side of the receiver: where it is, what arrived, and a reset."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.hook_url = f"{url}/hook"
        # One client for these calls (a client per call costs a TLS context each: CPU the
        # dispatchers would miss).
        self._client = httpx.AsyncClient(timeout=30, trust_env=False)

    async def close(self) -> None:
        await self._client.aclose()

    async def arrivals(self) -> dict[str, float]:
        return (await self._client.get(f"{self.url}/results")).json()  # type: ignore[no-any-return]

    async def reset(self) -> None:
        await self._client.post(f"{self.url}/reset")

    async def wait_for(self, expected: set[str], timeout: float = 300) -> dict[str, float]:
        deadline = time.monotonic() + timeout
        while True:
            got = await self.arrivals()
            if expected <= got.keys():
                return got
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(expected - got.keys())} of {len(expected)} webhooks missing")
            await asyncio.sleep(0.25)  # polling the receiver with a deadline


@asynccontextmanager
async def receiver_process() -> AsyncIterator[ReceiverControl]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.webhooks", "--receiver", str(port), cwd=ROOT
    )
    control = ReceiverControl(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                await control.reset()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)  # polling for readiness with a deadline
        yield control
    finally:
        await control.close()
        process.terminate()
        await process.wait()


# --- the database and the producer ----------------------------------------------------------


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    name = f"bench_webhooks_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = POSTGRES_URL.rpartition("/")[0] + "/" + name
    try:
        await upgrade_async(url)
        yield url
    finally:
        admin = await asyncpg.connect(POSTGRES_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


class Producer:
    """Commits session transitions through the services, noting when each event committed."""

    def __init__(self, database: Database, *, notify: bool) -> None:
        self.database = database
        self.runtime = Runtime(
            database=database, live=LiveHub("memory://"), join_secret=b"bench", public_base_url="https://x.test"
        )
        self.notifier = Notifier(database) if notify else None
        if self.notifier is not None:
            self.runtime.event_hooks.append(self.notifier.hook)
        self.committed: dict[int, float] = {}
        self.actor: Actor | None = None
        self.template_id = 0
        self._count = 0

    async def setup(self, hook_url: str) -> None:
        await self.runtime.live.connect()
        async with self.database.writer() as db, db.begin():
            organization, _ = await create_organization(db, "bench")
            assert organization.id is not None
            self.actor = Actor(organization_id=organization.id, role=Role.ADMIN)
            db.add(WebhookEndpoint(organization_id=organization.id, url=hook_url, secret=new_secret()))
        async with unit_of_work(self.runtime) as uow:
            template = await templates.create_template(
                uow, self.actor, name="Bench", slug=None, stages=[templates.StageInput("Only", 50.0)]
            )
        assert template.id is not None
        self.template_id = template.id

    async def close(self) -> None:
        await self.runtime.live.disconnect()

    async def _step(self, action: Any) -> Any:
        async with unit_of_work(self.runtime) as uow:
            result = await action(uow)
        now = time.time()
        for event_id in uow.committed_event_ids:
            self.committed[event_id] = now
        return result

    async def session(self) -> None:
        actor = self.actor
        assert actor is not None
        self._count += 1
        email = f"p{self._count}@bench.test"

        async def create(uow: Any) -> int:
            application = await applications.add_participant(
                uow, actor, template_id=self.template_id, name="P", email=email
            )
            assert application.id is not None
            session = await sessions.schedule(
                uow, actor, b"bench", application_id=application.id, stage_id=None, scheduled_for=None
            )
            assert session.id is not None
            return session.id

        session_id = await self._step(create)
        await self._step(lambda uow: sessions.start(uow, actor, session_id))
        await self._step(lambda uow: sessions.complete(uow, actor, session_id, None))
        await self._step(
            lambda uow: scoring.submit_scorecard(
                uow, actor, b"bench", session_id=session_id, criteria=[CriterionInput("x", 40.0)], summary=None
            )
        )

    async def paced(self, count: int, per_second: float) -> None:
        """Start `count` sessions at `per_second`, each running its transitions back to back."""
        started = time.monotonic()
        tasks = []
        for i in range(count):
            delay = started + i / per_second - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the producer
            tasks.append(asyncio.create_task(self.session()))
        await asyncio.gather(*tasks)

    async def sessions(self, count: int, parallel: int) -> None:
        gate = asyncio.Semaphore(parallel)

        async def one() -> None:
            async with gate:
                await self.session()

        await asyncio.gather(*(one() for _ in range(count)))


@asynccontextmanager
async def workers(database_url: str, count: int, concurrency: int, cpu: list[float] | None = None) -> AsyncIterator[None]:
    """`count` worker processes; their CPU seconds are appended to `cpu` when they stop."""
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        WEBHOOK_ALLOW_PRIVATE_URLS="true",
        WEBHOOK_CONCURRENCY=str(concurrency),
        LOG_LEVEL="WARNING",
    )
    processes = [
        await asyncio.create_subprocess_exec(sys.executable, "-m", "app.cli", "worker", env=env, cwd=ROOT)
        for _ in range(count)
    ]
    try:
        yield
    finally:
        if cpu is not None:
            cpu.extend(cpu_seconds(process.pid) for process in processes)
        for process in processes:
            process.terminate()
        for process in processes:
            await process.wait()


# --- measurements ---------------------------------------------------------------------------


@dataclass
class Figures:
    name: str
    deliveries: int
    seconds: float
    latencies: list[float]
    # CPU seconds the workers used (drain runs).
    worker_cpu: float | None = None

    @property
    def rate(self) -> float:
        return self.deliveries / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def _plural(count: int) -> str:
    return f"{count} worker{'s' if count > 1 else ''}"


async def floor(receiver: ReceiverControl, database: Database, concurrency: int) -> Figures:
    """The receiver hit directly by a plain httpx loop with the same signed bodies."""
    async with database.read() as db:
        rows = list(await db.execute(select(Event.id, Event.type, Event.occurred_at, Event.data).order_by(Event.id)))
    secret = new_secret()
    pending: asyncio.Queue[tuple[bytes, dict[str, str]]] = asyncio.Queue()
    for row in rows:
        body = event_body(row.type, row.occurred_at, row.data)
        msg_id = to_global_id("Event", row.id) + "-floor"
        pending.put_nowait((body, signed_headers([secret], msg_id, int(time.time()), body)))
    await receiver.reset()
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=15, trust_env=False) as client:

        async def loop() -> None:
            while not pending.empty():
                body, headers = pending.get_nowait()
                started = time.perf_counter()
                response = await client.post(receiver.hook_url, content=body, headers=headers)
                assert response.status_code == 204
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return Figures(f"floor: httpx loop, {concurrency} in flight", len(rows), seconds, latencies)


@asynccontextmanager
async def producing(receiver: ReceiverControl, *, notify: bool, parallel: int) -> AsyncIterator[Producer]:
    """A fresh database with an organization, a template and an endpoint for the receiver."""
    async with fresh_database() as url:
        database = create_database(url, pool_size=parallel + 4)
        producer = Producer(database, notify=notify)
        notifier = asyncio.create_task(producer.notifier.run()) if producer.notifier is not None else None
        try:
            await producer.setup(receiver.hook_url)
            yield producer
        finally:
            if notifier is not None:
                notifier.cancel()
                await asyncio.gather(notifier, return_exceptions=True)
            await producer.close()
            await database.dispose()


async def drain_run(receiver: ReceiverControl, worker_count: int, args: argparse.Namespace, floors: list[Figures]) -> Figures:
    """Events committed first, then the workers started: first 2xx -> last 2xx."""
    async with producing(receiver, notify=False, parallel=args.parallel) as producer:
        await producer.sessions(args.sessions, args.parallel)
        if not floors:
            # As many in flight as one worker, and as two; the faster is the floor.
            for in_flight in (args.concurrency, args.concurrency * 2):
                floors.append(await floor(receiver, producer.database, in_flight))
        await receiver.reset()
        expected = {to_global_id("Event", pk) for pk in producer.committed}
        cpu: list[float] = []
        async with workers(producer.database.url, worker_count, args.concurrency, cpu):
            got = await receiver.wait_for(expected)
    times = [got[key] for key in expected]
    return Figures(f"drain, {_plural(worker_count)}", len(expected), max(times) - min(times), [], sum(cpu))


async def live_run(receiver: ReceiverControl, worker_count: int, args: argparse.Namespace, *, rate: float | None) -> Figures:
    """The producer commits while the workers run, as fast as it can or at `rate` events/s."""
    async with producing(receiver, notify=True, parallel=args.parallel) as producer:
        async with workers(producer.database.url, worker_count, args.concurrency):
            # Warm-up: the workers are running once a first session's webhooks arrive.
            await producer.session()
            await receiver.wait_for({to_global_id("Event", pk) for pk in producer.committed}, timeout=60)
            await receiver.reset()
            producer.committed.clear()
            if rate is None:
                await producer.sessions(args.sessions, args.parallel)
            else:
                await producer.paced(args.sessions, rate / 4)
            expected = {to_global_id("Event", pk): at for pk, at in producer.committed.items()}
            got = await receiver.wait_for(set(expected))
    latencies = [got[key] - committed for key, committed in expected.items()]
    seconds = max(got[key] for key in expected) - min(expected.values())
    how = "as fast as possible" if rate is None else f"paced at {rate:.0f}/s"
    return Figures(f"live, {_plural(worker_count)}, {how}", len(expected), seconds, latencies)


def report(floors: list[Figures], runs: list[Figures], args: argparse.Namespace) -> str:
    floor_figures = max(floors, key=lambda figures: figures.rate)
    lines = [
        f"webhooks bench: {args.sessions} sessions x 4 events; producer drives {args.parallel} sessions at once;"
        f" {args.concurrency} attempts in flight per worker; {os.cpu_count()} CPUs shared by everything",
        f"{'run':<44} {'deliveries':>10} {'per s':>7} {'x floor':>8} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms/d':>9}",
    ]
    for figures in [*floors, *runs]:
        ratio = figures.rate / floor_figures.rate
        latency = (
            f" {figures.percentile(0.50) * 1000:>8.1f} {figures.percentile(0.99) * 1000:>8.1f}"
            if figures.latencies
            else f" {'-':>8} {'-':>8}"
        )
        cpu = f" {figures.worker_cpu * 1000 / figures.deliveries:>9.2f}" if figures.worker_cpu is not None else f" {'-':>9}"
        lines.append(f"{figures.name:<44} {figures.deliveries:>10} {figures.rate:>7.0f} {ratio:>8.2f}{latency}{cpu}")
    lines += [
        "x floor: against the faster floor row;",
        "drain: events committed first, then the workers started; first 2xx -> last 2xx;",
        "       cpu ms/d = the workers' CPU (whole life, startup included) per delivery",
        "live: first commit -> last 2xx while the producer commits; p50/p99 = transition committed ->",
        "      webhook at the receiver (floor: one request's round trip)",
    ]
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    async with receiver_process() as receiver:
        floors: list[Figures] = []
        runs = []
        for worker_count in (1, 2):
            runs.append(await drain_run(receiver, worker_count, args, floors))
            runs.append(await live_run(receiver, worker_count, args, rate=None))
            # Latency below saturation (the producer's own transactions share the CPUs too).
            runs.append(await live_run(receiver, worker_count, args, rate=args.paced_rate))
    print(report(floors, runs, args))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--parallel", type=int, default=16, help="sessions the producer drives at once")
    parser.add_argument("--concurrency", type=int, default=16, help="attempts in flight per worker")
    parser.add_argument("--paced-rate", type=float, default=40.0, help="events/s of the paced live runs")
    parser.add_argument("--receiver", type=int, help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.receiver:
        serve_receiver(parsed.receiver)
    else:
        asyncio.run(main(parsed))
