"""Subscribers of the same document share one execution (app/shared_streams.py)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import orjson
import pytest
from strawberry.types import ExecutionResult

from app.shared_streams import MemberOverflow, SharedStreams

from models import Role
from tests.conftest import Org
from tests.support import flows
from tests.support.server import Api, WsClient

TRANSCRIPT = "subscription($id: ID!) { transcript(sessionId: $id) { seq text } }"


def _stats(api: Api) -> dict[str, int]:
    assert api.app is not None
    return api.app.state.graphql.shared_streams.stats()  # type: ignore[no-any-return]


async def _until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_many_subscribers_share_one_group_and_late_joiners_get_the_history(sqlite_api: Api, sqlite_org: Org) -> None:
    api, org = sqlite_api, sqlite_org
    _, _, session = await flows.application_with_session(api, org.admin)
    await flows.mutate(api, flows.START, {"id": session["id"]}, org.admin)
    await flows.mutate(api, flows.APPEND, {"id": session["id"], "segments": [{"speaker": "AI", "text": "one"}]}, org.admin)
    async with AsyncExitStack() as stack:
        clients: list[WsClient] = []
        for _ in range(20):
            ws = await stack.enter_async_context(api.websocket())
            await ws.init(org[Role.VIEWER])
            await ws.subscribe(TRANSCRIPT, {"id": session["id"]})
            clients.append(ws)
        await _until(lambda: _stats(api) == {"groups": 1, "members": 20})
        await flows.mutate(api, flows.APPEND, {"id": session["id"], "segments": [{"speaker": "AI", "text": "two"}]}, org.admin)
        for ws in clients:
            got = [p["data"]["transcript"] for p in await ws.collect(2)]
            assert got == [{"seq": 1, "text": "one"}, {"seq": 2, "text": "two"}]
        # A late joiner gets what the group sent, then live messages.
        late = await stack.enter_async_context(api.websocket())
        await late.init(org[Role.VIEWER])
        await late.subscribe(TRANSCRIPT, {"id": session["id"]})
        assert [p["data"]["transcript"]["seq"] for p in await late.collect(2)] == [1, 2]
        await flows.mutate(api, flows.APPEND, {"id": session["id"], "segments": [{"speaker": "AI", "text": "three"}]}, org.admin)
        for ws in [*clients, late]:
            assert (await ws.next_data())["data"]["transcript"]["seq"] == 3
        # Another role is another group (what a role may see can differ).
        admin = await stack.enter_async_context(api.websocket())
        await admin.init(org.admin)
        await admin.subscribe(TRANSCRIPT, {"id": session["id"]})
        await admin.collect(3)
        assert _stats(api) == {"groups": 2, "members": 22}
    # Everyone left: nothing is left behind.
    await _until(lambda: _stats(api) == {"groups": 0, "members": 0})


async def test_a_slow_member_is_dropped_without_holding_up_the_others() -> None:
    """The bound of a member's queue, on the group machinery itself (real asyncio, no socket:
    over loopback the kernel's buffers would absorb megabytes before a queue filled)."""
    streams = SharedStreams(queue_size=5)
    produced = asyncio.Event()
    acks: asyncio.Queue[None] = asyncio.Queue()

    async def source() -> AsyncIterator[ExecutionResult]:
        for i in range(40):
            yield ExecutionResult(data={"n": i}, errors=None)
            await acks.get()  # the next message once `fast` has taken this one
        produced.set()
        await asyncio.Event().wait()  # a live stream stays open

    async with streams.join(("k",), "transcript", source) as fast, streams.join(("k",), "transcript", source) as slow:
        assert fast is not None and slow is not None
        received = []
        async for frame in fast.frames():
            received.append(orjson.loads(frame.payload)["data"]["n"])
            acks.put_nowait(None)
            if len(received) == 40:
                break
        assert received == list(range(40))
        await asyncio.wait_for(produced.wait(), 5)
        got = []
        with pytest.raises(MemberOverflow):
            async for frame in slow.frames():
                got.append(orjson.loads(frame.payload)["data"]["n"])
        assert got == [0, 1, 2, 3, 4]  # what fit in its queue, in order; then told to resume
        assert streams.stats() == {"groups": 1, "members": 1}
    assert streams.stats() == {"groups": 0, "members": 0}


async def test_a_late_joiner_whose_history_would_not_fit_gets_its_own_subscription() -> None:
    streams = SharedStreams(queue_size=3)
    sent = asyncio.Event()
    acks: asyncio.Queue[None] = asyncio.Queue()

    async def source() -> AsyncIterator[ExecutionResult]:
        for i in range(5):
            yield ExecutionResult(data={"n": i}, errors=None)
            await acks.get()
        sent.set()
        await asyncio.Event().wait()

    async with streams.join(("k",), "transcript", source) as first:
        assert first is not None
        got = []
        async for frame in first.frames():  # it keeps up, so its queue never overflows
            got.append(orjson.loads(frame.payload)["data"]["n"])
            acks.put_nowait(None)
            if len(got) == 5:
                break
        await asyncio.wait_for(sent.wait(), 5)
        async with streams.join(("k",), "transcript", source) as late:
            assert late is None  # five frames of history, a queue of three: replay privately
