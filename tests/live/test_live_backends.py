"""LiveHub on every backend, with a regression test for each broadcaster 0.3.1 defect.

Each test waits for what it expects with a timeout; none sleeps to synchronise.
"""

import asyncio
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack

import asyncpg
import pytest
from redis import asyncio as aioredis

from services.live import (
    RESYNC,
    LiveHub,
    LiveMessageTooLarge,
    LiveOverflow,
    LiveSubscription,
    LiveUnavailable,
    Resync,
)

from .conftest import MakeHub, RedisServer

TIMEOUT = 5.0


async def receive(subscription: LiveSubscription, timeout: float = TIMEOUT) -> str | Resync:
    return await asyncio.wait_for(anext(subscription), timeout)


async def collect(subscription: LiveSubscription, count: int) -> list[str | Resync]:
    """Up to ``count`` items, or what arrived before the timeout (to report how many)."""
    items: list[str | Resync] = []
    try:
        while len(items) < count:
            items.append(await receive(subscription))
    except TimeoutError:
        pass
    return items


async def receive_or_none(subscription: LiveSubscription) -> str | Resync | None:
    try:
        return await receive(subscription)
    except TimeoutError:
        return None


async def until(condition: Callable[[], bool]) -> None:
    """Yield to the event loop until ``condition`` holds (wrap it in a timeout)."""
    while not condition():
        await asyncio.sleep(0)


def warnings_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


# -- the interface ----------------------------------------------------------------------


def test_an_unsupported_url_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="kafka"):
        LiveHub("kafka://127.0.0.1:9092")


async def test_published_messages_reach_subscribers_in_order(
    make_hub: MakeHub, backend_url: str, channel: str
) -> None:
    hub = await make_hub(backend_url)
    async with hub.subscribe(channel) as subscription:
        for n in range(5):
            await hub.publish(channel, f"m{n}")
        assert await collect(subscription, 5) == [f"m{n}" for n in range(5)]


async def test_a_message_on_another_channel_is_not_delivered(
    make_hub: MakeHub, backend_url: str, channel: str
) -> None:
    hub = await make_hub(backend_url)
    async with hub.subscribe(channel) as subscription, hub.subscribe(f"{channel}-other"):
        await hub.publish(f"{channel}-other", "not for you")
        await hub.publish(channel, "for you")
        assert await receive(subscription) == "for you"


async def test_leaving_ends_the_iteration(make_hub: MakeHub, channel: str) -> None:
    hub = await make_hub("memory://")
    async with hub.subscribe(channel) as left:
        pass
    with pytest.raises(StopAsyncIteration):
        await receive(left)


async def test_a_disconnected_hub_fails_its_open_subscriptions(channel: str) -> None:
    # Raised, not ended: a caller that re-reads the database and iterates again whenever
    # the iteration ends would otherwise spin.
    hub = LiveHub("memory://")
    await hub.connect()
    async with hub.subscribe(channel) as waiting, hub.subscribe(channel) as backlogged:
        await hub.publish(channel, "unread")
        assert await receive(waiting) == "unread"
        reader = asyncio.create_task(receive(waiting))
        await hub.disconnect()
        with pytest.raises(LiveUnavailable):
            await reader
        for _ in range(2):
            with pytest.raises(LiveUnavailable):
                await receive(backlogged)


# -- defect 1: with redis-py 8, the first subscription of a process got nothing ----------


@pytest.mark.redis
async def test_the_first_subscription_of_a_fresh_redis_hub_receives(
    make_hub: MakeHub, live_redis_url: str, channel: str
) -> None:
    publisher = await make_hub(live_redis_url)
    hub = await make_hub(live_redis_url)
    async with hub.subscribe(channel) as subscription:
        await publisher.publish(channel, "first")
        assert await receive(subscription) == "first"


# -- defect 2: concurrent subscribers to one channel raced -------------------------------


async def test_thirty_concurrent_subscribers_all_receive(
    make_hub: MakeHub, backend_url: str, channel: str
) -> None:
    hub = await make_hub(backend_url)
    async with AsyncExitStack() as stack:
        subscriptions = await asyncio.gather(
            *(stack.enter_async_context(hub.subscribe(channel)) for _ in range(30))
        )
        await hub.publish(channel, "hello")
        received = await asyncio.gather(*(receive_or_none(s) for s in subscriptions))
    assert received.count("hello") == 30, f"{received.count('hello')} of 30 received it"


async def test_a_subscriber_arriving_while_the_last_one_leaves_still_receives(
    make_hub: MakeHub, backend_url: str, channel: str
) -> None:
    # The newcomer must not count on the backend subscription that the leaver is taking
    # down at that very moment: the per-channel lock makes it wait and subscribe anew.
    hub = await make_hub(backend_url)
    for n in range(3):
        leaving = AsyncExitStack()
        await leaving.enter_async_context(hub.subscribe(channel))
        leave = asyncio.create_task(leaving.aclose())
        # Arrive once the backend has begun to drop the channel, its unsubscribe in flight.
        await asyncio.wait_for(until(lambda: hub.stats()["backend_channels"] == 0), TIMEOUT)
        async with hub.subscribe(channel) as subscription:
            await leave
            await hub.publish(channel, f"still here {n}")
            assert await receive_or_none(subscription) == f"still here {n}"


# -- defect 3: PostgreSQL published on its LISTEN connection ------------------------------


async def test_thirty_concurrent_publishes_all_arrive(
    make_hub: MakeHub, backend_url: str, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    hub = await make_hub(backend_url)
    sent = [f"m{n}" for n in range(30)]
    async with hub.subscribe(channel) as subscription:
        await asyncio.gather(*(hub.publish(channel, message) for message in sent))
        received = await collect(subscription, 30)
    assert sorted(received) == sorted(sent), f"{len(received)} of 30 arrived"  # type: ignore[type-var]
    assert warnings_logged(caplog) == []


@pytest.mark.postgres
async def test_concurrent_subscriptions_to_many_channels_on_postgres(
    make_hub: MakeHub, live_postgres_url: str, channel: str
) -> None:
    # They all LISTEN on the one connection, which runs one statement at a time.
    hub = await make_hub(live_postgres_url)
    channels = [f"{channel}-{n}" for n in range(10)]
    async with AsyncExitStack() as stack:
        subscriptions = await asyncio.gather(
            *(stack.enter_async_context(hub.subscribe(name)) for name in channels)
        )
        for name in channels:
            await hub.publish(name, name)
        assert [await receive(s) for s in subscriptions] == channels


@pytest.mark.postgres
async def test_the_sqlalchemy_spelling_of_a_postgres_url_is_accepted(
    make_hub: MakeHub, live_postgres_url: str, channel: str
) -> None:
    hub = await make_hub("postgresql+asyncpg://" + live_postgres_url.split("://", 1)[1])
    async with hub.subscribe(channel) as subscription:
        await hub.publish(channel, "hello")
        assert await receive(subscription) == "hello"


@pytest.mark.postgres
async def test_an_oversize_notify_payload_is_logged_not_raised(
    make_hub: MakeHub, live_postgres_url: str, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    hub = await make_hub(live_postgres_url)
    async with hub.subscribe(channel) as subscription:
        await hub.publish(channel, "é" * 4000)  # 8000 bytes: one too many
        # Refused here, before the round trip, and logged rather than raised.
        refusals = [r for r in caplog.records if r.exc_info and r.levelno == logging.WARNING]
        assert [type(r.exc_info[1]) for r in refusals] == [LiveMessageTooLarge]  # type: ignore[index]
        await hub.publish(channel, "x" * 7999)  # the largest NOTIFY payload there is
        assert await receive(subscription) == "x" * 7999


# -- defect 4: no backend reconnected ----------------------------------------------------


@pytest.mark.redis
async def test_after_a_redis_restart_subscribers_get_resync_then_new_messages(
    redis_server: RedisServer, make_hub: MakeHub, channel: str, caplog: pytest.LogCaptureFixture
) -> None:
    hub = await make_hub(redis_server.url, reconnect_backoff=(0.05, 0.5))
    async with hub.subscribe(channel) as subscription:
        await hub.publish(channel, "before")
        assert await receive(subscription) == "before"

        await redis_server.kill()
        await hub.publish(channel, "lost")  # must not raise: the database is the record
        assert any("publish" in message for message in warnings_logged(caplog))
        with pytest.raises(LiveUnavailable):
            async with hub.subscribe(f"{channel}-during-outage"):
                pass

        await redis_server.start()
        assert await receive(subscription, timeout=20) is RESYNC
        await hub.publish(channel, "after")
        assert await receive(subscription) == "after"
    assert hub.stats() == {"channels": 0, "subscribers": 0, "backend_channels": 0}


@pytest.mark.redis
async def test_a_redis_that_stops_answering_is_found_out_and_resynced(
    redis_server: RedisServer,
    make_hub: MakeHub,
    channel: str,
    hub_lost_its_backend: asyncio.Event,
) -> None:
    # No FIN, no RST: only the PING on a quiet connection tells the hub it is gone.
    hub = await make_hub(redis_server.url, reconnect_backoff=(0.05, 0.5), liveness_interval=0.3)
    async with hub.subscribe(channel) as subscription:
        await hub.publish(channel, "before")
        assert await receive(subscription) == "before"

        redis_server.pause()
        try:
            await asyncio.wait_for(hub_lost_its_backend.wait(), TIMEOUT)
        finally:
            redis_server.resume()
        assert await receive(subscription, timeout=20) is RESYNC
        await hub.publish(channel, "after")
        assert await receive(subscription) == "after"


@pytest.mark.postgres
async def test_after_the_listen_connection_dies_subscribers_get_resync_then_new_messages(
    make_hub: MakeHub, live_postgres_url: str, channel: str
) -> None:
    hub = await make_hub(live_postgres_url, reconnect_backoff=(0.05, 0.5))
    async with hub.subscribe(channel) as subscription:
        admin = await asyncpg.connect(live_postgres_url)
        try:
            # The hub's LISTEN connection is the one whose last statement named the channel.
            rows = await admin.fetch(
                "SELECT pid FROM pg_stat_activity"
                " WHERE query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()",
                channel,
            )
            assert len(rows) == 1
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", rows[0]["pid"])
        finally:
            await admin.close()
        assert await receive(subscription, timeout=20) is RESYNC
        await hub.publish(channel, "after")
        assert await receive(subscription) == "after"


# -- defect 5: per-subscriber queues were unbounded --------------------------------------


async def test_a_slow_subscriber_overflows_without_holding_up_the_others(
    make_hub: MakeHub, backend_url: str, channel: str
) -> None:
    hub = await make_hub(backend_url, queue_size=3)
    async with hub.subscribe(channel) as slow, hub.subscribe(channel) as fast:
        for n in range(3):
            await hub.publish(channel, f"m{n}")
        assert await collect(fast, 3) == ["m0", "m1", "m2"]
        assert hub.stats()["subscribers"] == 2  # slow is full, not yet over

        await hub.publish(channel, "m3")
        assert await receive(fast) == "m3"  # delivered although slow's queue was full
        assert hub.stats()["subscribers"] == 1
        for _ in range(2):  # it stays failed: its client must resume from its last seq
            with pytest.raises(LiveOverflow):
                await receive(slow)
        await hub.publish(channel, "m4")
        assert await receive(fast) == "m4"
    assert hub.stats() == {"channels": 0, "subscribers": 0, "backend_channels": 0}


# -- defect 6: what a subscriber leaves behind --------------------------------------------


async def test_subscribe_unsubscribe_cycles_leave_nothing_behind(
    make_hub: MakeHub, backend_url: str, channel: str
) -> None:
    hub = await make_hub(backend_url)

    async def cycles(count: int) -> None:
        for _ in range(count):
            async with hub.subscribe(channel):
                pass

    # 200 cycles in all, ten at a time, so that entries and exits overlap.
    await asyncio.wait_for(asyncio.gather(*(cycles(20) for _ in range(10))), 60)
    assert hub.stats() == {"channels": 0, "subscribers": 0, "backend_channels": 0}
    async with hub.subscribe(channel) as subscription:  # and the channel still works
        await hub.publish(channel, "again")
        assert await receive(subscription) == "again"


@pytest.mark.redis
async def test_redis_drops_the_channel_when_its_last_subscriber_leaves(
    make_hub: MakeHub, live_redis_url: str, channel: str
) -> None:
    hub = await make_hub(live_redis_url)
    observer = aioredis.Redis.from_url(live_redis_url)
    try:
        for _ in range(200):
            async with hub.subscribe(channel), hub.subscribe(channel):
                assert await observer.pubsub_numsub(channel) == [(channel.encode(), 1)]
        assert await observer.pubsub_numsub(channel) == [(channel.encode(), 0)]
    finally:
        await observer.aclose()
    assert hub.stats() == {"channels": 0, "subscribers": 0, "backend_channels": 0}
