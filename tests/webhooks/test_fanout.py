"""Fan-out: which endpoints get a delivery, and no event is skipped when ids commit out of
order on PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import Event, EventType
from models.base import utcnow
from models.db import Database, create_database
from models.webhooks import WebhookCursor, WebhookDelivery, WebhookEndpoint, WebhookFanout
from services.webhooks.fanout import ensure_cursor, fan_out
from services.webhooks.signing import new_secret
from tests.conftest import create_org
from tests.webhooks.support import Driver, poll


async def _endpoint(database: Database, organization_id: int, **fields: object) -> int:
    values: dict[str, object] = {"url": "https://h.example.com", "created_at": utcnow() - timedelta(hours=1)}
    values.update(fields)
    async with database.writer() as db, db.begin():
        endpoint = WebhookEndpoint(organization_id=organization_id, secret=new_secret(), **values)  # type: ignore[arg-type]
        db.add(endpoint)
        await db.flush()
        assert endpoint.id is not None
        return endpoint.id


async def _deliveries(database: Database) -> set[tuple[int, int]]:
    async with database.read() as db:
        rows = await db.execute(select(WebhookDelivery.event_id, WebhookDelivery.endpoint_id))
        return {(event_id, endpoint_id) for event_id, endpoint_id in rows}


async def _cursor(database: Database) -> int:
    async with database.read() as db:
        return int(await db.scalar(select(WebhookCursor.event_id)) or 0)


async def test_each_event_goes_to_every_matching_endpoint_once(database_url: str) -> None:
    org = await create_org(database_url)
    other = await create_org(database_url, "Other")
    async with Driver(database_url, org.id) as driver:
        database = driver.database
        every = await _endpoint(database, org.id)
        scored_only = await _endpoint(database, org.id, event_types=["SESSION_SCORED"])
        await _endpoint(database, org.id, enabled=False)
        await _endpoint(database, org.id, deleted_at=utcnow())
        await _endpoint(database, org.id, created_at=utcnow() + timedelta(hours=1))  # created after the events
        await _endpoint(database, other.id)
        await driver.session()
        events = await driver.event_ids()
        assert len(events) == 4
        await ensure_cursor(database)
        assert await fan_out(database) == 4
        assert await fan_out(database) == 0  # nothing twice
        async with database.read() as db:
            scored = await db.scalar(select(Event.id).where(Event.type == EventType.SESSION_SCORED))
        assert await _deliveries(database) == {(e, every) for e in events} | {(scored, scored_only)}
        if database.is_sqlite:
            assert await _cursor(database) == events[-1]
        else:
            # A later pass sees that no older transaction is running (any transaction on the
            # server, even autovacuum's, makes it wait: that delays the cursor, not deliveries).

            async def advanced() -> bool:
                await fan_out(database)
                return await _cursor(database) == events[-1]

            await poll(advanced, timeout=5)
        async with database.read() as db:
            assert await db.scalar(select(func.count()).select_from(WebhookFanout)) == 0


@pytest.mark.postgres
async def test_an_event_that_commits_after_a_later_id_is_not_skipped(postgres_url: str) -> None:
    org = await create_org(postgres_url)
    async with Driver(postgres_url, org.id) as driver:
        database = driver.database
        endpoint = await _endpoint(database, org.id)
        session_id = await driver.session(complete=False)  # created, started
        await ensure_cursor(database)
        await fan_out(database)
        async with database.read() as db:
            session_event = (await db.scalars(select(Event).where(Event.session_id == session_id))).first()
        assert session_event is not None

        def event(sequence: int) -> Event:
            return Event(
                organization_id=org.id,
                session_id=session_id,
                application_id=session_event.application_id,
                template_id=session_event.template_id,
                type=EventType.SESSION_STARTED,
                sequence=sequence,
                data={"sequence": sequence},
            )

        # The slow transaction takes its id first and commits last.
        other = create_database(postgres_url, pool_size=1)
        try:
            async with other.writer() as slow_db:
                await slow_db.begin()
                slow = event(100)
                slow_db.add(slow)
                await slow_db.flush()
                async with database.writer() as db, db.begin():
                    fast = event(101)
                    db.add(fast)
                assert slow.id is not None and fast.id is not None and slow.id < fast.id

                for _ in range(3):
                    await fan_out(database)
                assert (fast.id, endpoint) in await _deliveries(database)
                assert await _cursor(database) < slow.id  # held back by the open transaction
                await slow_db.commit()
        finally:
            await other.dispose()

        await fan_out(database)
        assert (slow.id, endpoint) in await _deliveries(database)
        # Any transaction running on the server (autovacuum's ANALYZE takes an xid too)
        # delays the cursor, never a delivery: poll a few passes.

        async def advanced() -> bool:
            await fan_out(database)
            return await _cursor(database) == fast.id

        await poll(advanced, timeout=5)
        assert len(await _deliveries(database)) == 4
