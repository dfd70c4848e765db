"""A broadcast backend that goes away and comes back; resources that come back to zero."""

import asyncio
import gc

import pytest

from tests.conftest import create_org, make_settings
from tests.scaled.conftest import OwnRedis
from tests.support import flows
from tests.support.server import Api, serve

TRANSCRIPT = "subscription($id: ID!, $after: Int) { transcript(sessionId: $id, afterSeq: $after) { seq text } }"


async def _append(api: Api, token: str, session_id: str, text: str) -> None:
    await flows.mutate(api, flows.APPEND, {"id": session_id, "segments": [{"speaker": "AI", "text": text}]}, token)


@pytest.mark.redis
async def test_a_redis_restart_loses_nothing(sqlite_url: str, own_redis: OwnRedis) -> None:
    org = await create_org(sqlite_url)
    async with serve(make_settings(sqlite_url, broadcast_url=own_redis.url)) as api:
        _, _, session = await flows.application_with_session(api, org.admin)
        sid = session["id"]
        await flows.mutate(api, flows.START, {"id": sid}, org.admin)
        async with api.websocket() as ws:
            await ws.init(org.admin)
            await ws.subscribe(TRANSCRIPT, {"id": sid})
            for i in range(1, 4):
                await _append(api, org.admin, sid, f"before {i}")
            seqs = [p["data"]["transcript"]["seq"] for p in await ws.collect(3)]

            own_redis.stop()
            # The database is the record: mutations keep committing while Redis is away.
            for i in range(4, 8):
                await _append(api, org.admin, sid, f"during {i}")
            own_redis.start()
            # Once the listener is back, the subscription catches up from the database.
            seqs += [p["data"]["transcript"]["seq"] for p in await ws.collect(4, timeout=30)]
            for i in range(8, 11):
                await _append(api, org.admin, sid, f"after {i}")
            seqs += [p["data"]["transcript"]["seq"] for p in await ws.collect(3, timeout=30)]
            await flows.mutate(api, flows.COMPLETE, {"id": sid}, org.admin)
            assert (await ws.receive(timeout=30))["type"] == "complete"
        assert seqs == list(range(1, 11))


def _resources(api: Api) -> dict[str, int]:
    assert api.app is not None
    services = api.app.state.services
    live = services.runtime.live.stats()
    pool = services.runtime.database.reader_engine.pool
    return {
        "tasks": len(asyncio.all_tasks()),
        "live_subscribers": live["subscribers"],
        "live_channels": live["channels"],
        "groups": api.app.state.graphql.shared_streams.stats()["groups"],
        "connections_out": pool.checkedout(),  # type: ignore[attr-defined]
    }


async def _settled(api: Api, expected: dict[str, int], timeout: float = 30.0) -> dict[str, int]:
    """The resources once they equal `expected`, or as they stand after `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (now := _resources(api)) != expected and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    return now


async def test_dropping_200_subscriptions_leaves_nothing_behind(sqlite_url: str) -> None:
    org = await create_org(sqlite_url)
    # No webhook dispatcher: its tasks come and go on their own schedule.
    async with serve(make_settings(sqlite_url, embedded_webhook_dispatcher=False)) as api:
        _, _, session = await flows.application_with_session(api, org.admin)
        await flows.mutate(api, flows.START, {"id": session["id"]}, org.admin)
        await _append(api, org.admin, session["id"], "hello")
        gc.collect()
        before = _resources(api)
        for batch in range(10):
            sockets = []
            for i in range(20):
                ws_cm = api.websocket("graphql-transport-ws" if i % 2 else "graphql-ws")
                ws = await ws_cm.__aenter__()
                sockets.append(ws_cm)
                await ws.init(org.admin)
                # Half share one document (a group), half each have their own.
                variables = {"id": session["id"], "after": 0 if i % 4 else batch * 100 + i}
                await ws.subscribe(TRANSCRIPT, variables)
                if variables["after"] == 0:
                    await ws.next_data()
            during = _resources(api)
            assert during["live_subscribers"] > before["live_subscribers"]
            for ws_cm in sockets:  # clients vanish without unsubscribing
                await ws_cm.__aexit__(None, None, None)
        assert await _settled(api, before) == before
