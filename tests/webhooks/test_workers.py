"""`interview-api worker` processes sharing one PostgreSQL database: every event delivered,
none sent twice at once, and nothing lost when a worker is killed mid-attempt."""

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from standardwebhooks import Webhook
from starlette.responses import Response

from models import DeliveryStatus
from models.base import utcnow
from models.db import Database
from models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from services.ids import to_global_id
from services.webhooks.signing import new_secret
from tests.conftest import create_org
from tests.webhooks.support import Driver, Received, Receiver, poll, receiver

pytestmark = pytest.mark.postgres


@asynccontextmanager
async def worker(database_url: str, log: Path, *, concurrency: int = 4) -> AsyncIterator[asyncio.subprocess.Process]:
    """An `interview-api worker` process with short delays; SIGTERM (graceful) at the end."""
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        WEBHOOK_ALLOW_PRIVATE_URLS="true",
        WEBHOOK_POLL_INTERVAL="0.2",
        WEBHOOK_TIMEOUT="1.5",
        WEBHOOK_CLAIM_SECONDS="3",
        WEBHOOK_RETRY_SCHEDULE="0.2,0.2,0.2,0.2,0.2",
        LOG_LEVEL="WARNING",
    )
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app.cli", "worker", "--concurrency", str(concurrency),
            env=env, stdout=output, stderr=output,
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _endpoint(database: Database, organization_id: int, url: str) -> str:
    async with database.writer() as db, db.begin():
        secret = new_secret()
        db.add(WebhookEndpoint(organization_id=organization_id, url=url, secret=secret, created_at=utcnow() - timedelta(minutes=1)))
    return secret


async def _listening(database: Database, count: int) -> None:
    """Until `count` workers have started (each LISTENs for wake-ups once running)."""

    async def ready() -> bool:
        async with database.read() as db:
            listeners = await db.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                )
            )
        return int(listeners or 0) >= count

    await poll(ready, timeout=30)


async def _all_succeeded(database: Database, expected: int) -> bool:
    async with database.read() as db:
        done = await db.scalar(
            select(func.count()).select_from(WebhookDelivery).where(WebhookDelivery.status == DeliveryStatus.SUCCEEDED)
        )
    return done == expected


def _check_received(hook: Receiver, secret: str, expected: set[str]) -> None:
    assert hook.ids() == expected
    verifier = Webhook(secret)
    for request in hook.requests:
        verifier.verify(request.body, request.headers)
    # Per session, first arrivals come in sequence order (a duplicate may repeat one).
    first_seen: dict[str, list[int]] = {}
    seen: set[str] = set()
    for request in hook.requests:
        if request.msg_id not in seen:
            seen.add(request.msg_id)
            data = request.json["data"]
            first_seen.setdefault(data["session"]["id"], []).append(data["sequence"])
    for sequences in first_seen.values():
        assert sequences == sorted(sequences)


async def test_two_workers_share_the_work_and_deliver_every_event_once(postgres_url: str, tmp_path: Path) -> None:
    async def slowish(request: Received, previous: int) -> Response:
        await asyncio.sleep(0.01)
        return Response(status_code=204)

    org = await create_org(postgres_url)
    log = tmp_path / "workers.log"
    async with receiver(slowish) as hook, Driver(postgres_url, org.id) as driver:
        secret = await _endpoint(driver.database, org.id, hook.url)
        async with worker(postgres_url, log) as first, worker(postgres_url, log) as second:
            await _listening(driver.database, 2)
            await asyncio.gather(*(driver.session() for _ in range(30)))
            expected = {to_global_id("Event", pk) for pk in await driver.event_ids()}
            assert len(expected) == 120
            await hook.wait_for(lambda r: r.ids() >= expected, timeout=30)
            await poll(lambda: _all_succeeded(driver.database, len(expected)), timeout=10)
        assert first.returncode == 0 and second.returncode == 0, log.read_text()
        async with driver.database.read() as db:
            workers = {details["worker"] for details in await db.scalars(select(WebhookAttempt.details))}
            attempts = await db.scalar(select(func.count()).select_from(WebhookAttempt))
    _check_received(hook, secret, expected)
    assert len(hook.requests) == len(expected) == attempts  # no duplicates without failures
    assert hook.concurrent_duplicates == 0
    assert len(workers) == 2  # both took part


async def test_a_worker_killed_mid_attempt_loses_nothing(postgres_url: str, tmp_path: Path) -> None:
    async def slow(request: Received, previous: int) -> Response:
        await asyncio.sleep(0.15)
        return Response(status_code=204)

    org = await create_org(postgres_url)
    log = tmp_path / "workers.log"
    async with receiver(slow) as hook, Driver(postgres_url, org.id) as driver:
        database = driver.database
        secret = await _endpoint(database, org.id, hook.url)
        async with worker(postgres_url, log) as victim, worker(postgres_url, log) as survivor:
            await asyncio.gather(*(driver.session() for _ in range(15)))
            expected = {to_global_id("Event", pk) for pk in await driver.event_ids()}

            async def claims_of_victim() -> list[int]:
                async with database.read() as db:
                    rows = await db.scalars(
                        select(WebhookDelivery.id).where(
                            WebhookDelivery.claimed_by.like(f"%:{victim.pid}:%"),  # type: ignore[union-attr]
                            WebhookDelivery.claimed_until > utcnow(),  # type: ignore[operator]
                        )
                    )
                    return list(rows)

            async def victim_busy() -> bool:
                # Claimed 50 ms ago or more (the lease is 3 s): the request is at the receiver,
                # which takes 150 ms to answer.
                async with database.read() as db:
                    rows = await db.scalars(
                        select(WebhookDelivery.id).where(
                            WebhookDelivery.claimed_by.like(f"%:{victim.pid}:%"),  # type: ignore[union-attr]
                            WebhookDelivery.claimed_until < utcnow() + timedelta(seconds=2.95),  # type: ignore[operator]
                            WebhookDelivery.claimed_until > utcnow(),  # type: ignore[operator]
                        )
                    )
                    return bool(list(rows))

            await poll(victim_busy, timeout=15)
            victim.send_signal(signal.SIGKILL)
            await victim.wait()
            orphaned = await claims_of_victim()  # attempts cut off in flight
            assert orphaned
            await hook.wait_for(lambda r: r.ids() >= expected, timeout=30)
            await poll(lambda: _all_succeeded(database, len(expected)), timeout=15)
        assert victim.returncode == -signal.SIGKILL
        assert survivor.returncode == 0, log.read_text()
        async with database.read() as db:
            finished_by = {
                details["worker"].split(":")[1]
                for details in await db.scalars(
                    select(WebhookAttempt.details).where(
                        WebhookAttempt.delivery_id.in_(orphaned),  # type: ignore[attr-defined]
                        WebhookAttempt.response_status == 204,
                    )
                )
            }
    _check_received(hook, secret, expected)
    assert finished_by == {str(survivor.pid)}  # the survivor took over the orphaned claims
    assert hook.concurrent_duplicates == 0
    answered_twice = len(hook.requests) - len(expected)
    arrived_twice = hook.arrivals - len(expected)
    print(
        f"\nkill -9: {len(expected)} events, {len(orphaned)} claims orphaned by the kill and sent again by the"
        f" survivor; {arrived_twice} requests arrived twice, {answered_twice} answered twice"
    )
