"""What operators see (queue depth, oldest pending age, failures per endpoint) and the
NOTIFY wake-up of worker processes."""

import asyncio
import logging
from datetime import timedelta

import pytest

from models.base import utcnow
from models.webhooks import WebhookEndpoint
from services.webhooks.fanout import ensure_cursor, fan_out
from services.webhooks.notify import Listener, Notifier
from services.webhooks.signing import new_secret
from services.webhooks.stats import AttemptCounters, log_stats, queue_stats
from tests.conftest import create_org
from tests.webhooks.support import Driver


async def test_queue_stats_and_their_log_lines(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    org = await create_org(database_url)
    async with Driver(database_url, org.id) as driver:
        async with driver.database.writer() as db, db.begin():
            for enabled in (True, False):
                db.add(
                    WebhookEndpoint(
                        organization_id=org.id,
                        url="https://h.example.com",
                        secret=new_secret(),
                        enabled=enabled,
                        created_at=utcnow() - timedelta(hours=1),
                    )
                )
        await driver.session(complete=False)
        await ensure_cursor(driver.database)
        await fan_out(driver.database)
        stats = await queue_stats(driver.database, utcnow() + timedelta(seconds=30))
    assert stats.depth == 2  # the disabled endpoint has none
    assert stats.oldest_pending_age is not None and 30 <= stats.oldest_pending_age < 60
    (backlog,) = stats.endpoints
    assert backlog.pending == 2 and backlog.retrying == 0

    counters = AttemptCounters()
    counters.count(backlog.endpoint_id, ok=False)
    counters.count(backlog.endpoint_id, ok=True)
    with caplog.at_level(logging.INFO, logger="interview_api.webhooks"):
        log_stats("w1", stats, counters)
    lines = [record.getMessage() for record in caplog.records]
    assert lines[0].startswith("webhooks worker=w1 queue_depth=2 oldest_pending_age=3")
    assert lines[1] == f"webhooks endpoint={backlog.endpoint_id} failures=1 successes=1 pending=2 retrying=0"


@pytest.mark.postgres
async def test_commits_wake_listening_workers_at_once(postgres_url: str) -> None:
    org = await create_org(postgres_url)
    async with Driver(postgres_url, org.id) as driver:
        woken = asyncio.Event()
        listener = Listener(driver.database, woken.set)
        notifier = Notifier(driver.database)
        task = asyncio.create_task(notifier.run())
        try:
            await listener.connect()
            notifier.hook([1])
            await asyncio.wait_for(woken.wait(), 5)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await listener.close()
