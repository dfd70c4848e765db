"""Several real API processes sharing one PostgreSQL and one Redis."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest

from tests.conftest import Org, create_org, make_settings
from tests.support import flows
from tests.support.processes import api_process
from tests.support.server import Api

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

TRANSCRIPT = "subscription($id: ID!, $after: Int) { transcript(sessionId: $id, afterSeq: $after) { seq text } }"


@asynccontextmanager
async def processes(database_url: str, broadcast_url: str, prefix: str, count: int = 2) -> AsyncIterator[list[Api]]:
    env = {
        "BROADCAST_URL": broadcast_url,
        "LIVE_CHANNEL_PREFIX": prefix,
        "MIGRATE_ON_START": "false",
        "SECRET_KEY": "shared-secret",
        "EMBEDDED_WEBHOOK_DISPATCHER": "false",
    }
    async with AsyncExitStack() as stack:
        apis = []
        for _ in range(count):
            url = stack.enter_context(api_process(database_url, **env))
            http = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=60))
            apis.append(Api(url=url, http=http, settings=make_settings(database_url)))
        yield apis


async def _started_session(api: Api, org: Org) -> str:
    _, _, session = await flows.application_with_session(api, org.admin)
    await flows.mutate(api, flows.START, {"id": session["id"]}, org.admin)
    return session["id"]  # type: ignore[no-any-return]


async def test_a_subscriber_on_one_process_sees_mutations_on_another(postgres_url: str, redis_url: str, channel_prefix: str) -> None:
    org = await create_org(postgres_url)
    async with processes(postgres_url, redis_url, channel_prefix) as (a, b):
        session_id = await _started_session(b, org)
        async with a.websocket() as ws:
            await ws.init(org.admin)
            await ws.subscribe(TRANSCRIPT, {"id": session_id})
            await ws.subscribe("subscription($id: ID!) { sessionUpdated(id: $id) { status } }", {"id": session_id})
            assert (await ws.next_data())["data"]["sessionUpdated"]["status"] == "IN_PROGRESS"
            await flows.mutate(b, flows.APPEND, {"id": session_id, "segments": [{"speaker": "AI", "text": "from B"}]}, org.admin)
            assert (await ws.next_data())["data"] == {"transcript": {"seq": 1, "text": "from B"}}
            await flows.mutate(b, flows.COMPLETE, {"id": session_id}, org.admin)
            kinds = {(m["type"], bool(m.get("payload", {}).get("data", {}).get("sessionUpdated"))) for m in [await ws.receive(), await ws.receive()]}
            assert ("next", True) in kinds and ("complete", False) in kinds


async def test_a_burst_from_two_processes_arrives_complete_and_ordered(postgres_url: str, redis_url: str, channel_prefix: str) -> None:
    org = await create_org(postgres_url)
    async with processes(postgres_url, redis_url, channel_prefix) as (a, b):
        session_id = await _started_session(a, org)
        async with a.websocket() as on_a, b.websocket() as on_b:
            for ws in (on_a, on_b):
                await ws.init(org.admin)
                await ws.subscribe(TRANSCRIPT, {"id": session_id})

            async def burst(api: Api, name: str) -> None:
                for start in range(0, 500, 50):
                    calls = [
                        flows.mutate(api, flows.APPEND, {"id": session_id, "segments": [{"speaker": "AI", "text": f"{name}{i}"}]}, org.admin)
                        for i in range(start, start + 50)
                    ]
                    await asyncio.gather(*calls)

            readers = [asyncio.create_task(ws.collect(1000, timeout=60)) for ws in (on_a, on_b)]
            await asyncio.gather(burst(a, "a"), burst(b, "b"))
            for reader in readers:
                got = [p["data"]["transcript"] for p in await reader]
                assert [s["seq"] for s in got] == list(range(1, 1001))
                assert sorted(s["text"] for s in got) == sorted([f"a{i}" for i in range(500)] + [f"b{i}" for i in range(500)])


async def test_resume_on_another_process_gets_exactly_the_rest(postgres_url: str, redis_url: str, channel_prefix: str) -> None:
    org = await create_org(postgres_url)
    async with processes(postgres_url, redis_url, channel_prefix) as (a, b):
        session_id = await _started_session(a, org)
        segments = [{"speaker": "AI", "text": f"s{i}"} for i in range(1, 6)]
        await flows.mutate(a, flows.APPEND, {"id": session_id, "segments": segments}, org.admin)
        async with a.websocket() as ws:
            await ws.init(org.admin)
            await ws.subscribe(TRANSCRIPT, {"id": session_id})
            seen = [p["data"]["transcript"]["seq"] for p in await ws.collect(3)]
        # Mid-interview the client drops; the interview goes on; it comes back through B.
        await flows.mutate(a, flows.APPEND, {"id": session_id, "segments": [{"speaker": "AI", "text": "s6"}]}, org.admin)
        async with b.websocket() as ws:
            await ws.init(org.admin)
            await ws.subscribe(TRANSCRIPT, {"id": session_id, "after": seen[-1]})
            rest = [p["data"]["transcript"]["seq"] for p in await ws.collect(3)]
            await flows.mutate(a, flows.APPEND, {"id": session_id, "segments": [{"speaker": "AI", "text": "s7"}]}, org.admin)
            rest.append((await ws.next_data())["data"]["transcript"]["seq"])
        assert seen + rest == [1, 2, 3, 4, 5, 6, 7]
