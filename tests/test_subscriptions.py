"""Live subscriptions through the real app over WebSocket (memory broadcast, one process)."""

import pytest
from websockets.exceptions import ConnectionClosed

from models import Role
from tests.conftest import Org, create_org
from tests.support import flows
from tests.support.server import Api

TRANSCRIPT = "subscription($id: ID!, $after: Int) { transcript(sessionId: $id, afterSeq: $after) { seq speaker text } }"
SIGNALS = "subscription($id: ID!, $after: Int) { authenticitySignals(sessionId: $id, afterSeq: $after) { seq kind severity } }"
SESSION_UPDATED = "subscription($id: ID!) { sessionUpdated(id: $id) { id status attempt scorecard { decision } events { sequence } } }"
EVENTS = "subscription($f: EventFilter) { events(filter: $f) { type sequence data session { id } } }"


async def _append(api: Api, token: str, session_id: str, *texts: str) -> None:
    await flows.mutate(api, flows.APPEND, {"id": session_id, "segments": [{"speaker": "AI", "text": t} for t in texts]}, token)


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_transcript_replays_then_streams_then_completes(sqlite_api: Api, sqlite_org: Org, protocol: str) -> None:
    api, org = sqlite_api, sqlite_org
    _, _, session = await flows.application_with_session(api, org.admin)
    await flows.mutate(api, flows.START, {"id": session["id"]}, org.admin)
    await _append(api, org.admin, session["id"], "one", "two")
    async with api.websocket(protocol) as ws:
        assert (await ws.init(org[Role.VIEWER]))["type"] == "connection_ack"
        op = await ws.subscribe(TRANSCRIPT, {"id": session["id"]})
        stored = await ws.collect(2)
        await _append(api, org.admin, session["id"], "three")
        live = await ws.next_data()
        await _append(api, org.admin, session["id"], "four", "five")
        more = await ws.collect(2)
        await flows.mutate(api, flows.COMPLETE, {"id": session["id"]}, org.admin)
        done = await ws.receive()
        assert done == {"id": op, "type": "complete"}
    texts = [p["data"]["transcript"]["text"] for p in [*stored, live, *more]]
    seqs = [p["data"]["transcript"]["seq"] for p in [*stored, live, *more]]
    assert texts == ["one", "two", "three", "four", "five"]
    assert seqs == [1, 2, 3, 4, 5]


async def test_resuming_with_after_seq_gets_exactly_the_rest(sqlite_api: Api, sqlite_org: Org) -> None:
    api, org = sqlite_api, sqlite_org
    _, _, session = await flows.application_with_session(api, org.admin)
    await flows.mutate(api, flows.START, {"id": session["id"]}, org.admin)
    await _append(api, org.admin, session["id"], "a", "b", "c")
    async with api.websocket() as ws:
        await ws.init(org.admin)
        await ws.subscribe(TRANSCRIPT, {"id": session["id"]})
        first = await ws.collect(3)
    last_seen = first[-1]["data"]["transcript"]["seq"]
    # While disconnected the interview goes on.
    await _append(api, org.admin, session["id"], "d", "e")
    async with api.websocket() as ws:
        await ws.init(org.admin)
        await ws.subscribe(TRANSCRIPT, {"id": session["id"], "after": last_seen})
        rest = await ws.collect(2)
        await _append(api, org.admin, session["id"], "f")
        rest.append(await ws.next_data())
    assert [p["data"]["transcript"]["seq"] for p in rest] == [4, 5, 6]


async def test_a_terminal_session_replays_and_completes_at_once(sqlite_api: Api, sqlite_org: Org) -> None:
    api, org = sqlite_api, sqlite_org
    _, _, session = await flows.application_with_session(api, org.admin)
    await flows.run_interview(api, org.admin, session["id"], segments=3)
    async with api.websocket() as ws:
        await ws.init(org.admin)
        op = await ws.subscribe(TRANSCRIPT, {"id": session["id"], "after": 1})
        got = await ws.collect(2)
        assert await ws.receive() == {"id": op, "type": "complete"}
    assert [p["data"]["transcript"]["seq"] for p in got] == [2, 3]


async def test_signals_and_session_updates(sqlite_api: Api, sqlite_org: Org) -> None:
    api, org = sqlite_api, sqlite_org
    _, _, session = await flows.application_with_session(api, org.admin)
    async with api.websocket() as ws:
        await ws.init(org.admin)
        await ws.subscribe(SESSION_UPDATED, {"id": session["id"]})
        initial = await ws.next_data()
        assert initial["data"]["sessionUpdated"]["status"] == "SCHEDULED"
        signals_op = await ws.subscribe(SIGNALS, {"id": session["id"]})
        await flows.mutate(api, flows.START, {"id": session["id"]}, org[Role.AGENT])
        update = await ws.next_data()
        assert update["data"]["sessionUpdated"]["status"] == "IN_PROGRESS"
        await flows.mutate(api, flows.SIGNAL, {"id": session["id"], "input": {"kind": "tab_switch", "severity": "HIGH"}}, org.admin)
        signal = await ws.next_data()
        assert signal["data"]["authenticitySignals"] == {"seq": 1, "kind": "tab_switch", "severity": "HIGH"}
        await flows.mutate(api, flows.COMPLETE, {"id": session["id"]}, org.admin)
        # The signal stream completes; the session stream shows COMPLETED.
        seen = [await ws.receive(), await ws.receive()]
        assert {"id": signals_op, "type": "complete"} in seen
        (completed,) = [m for m in seen if m["type"] == "next"]
        assert completed["payload"]["data"]["sessionUpdated"]["status"] == "COMPLETED"
        await flows.score(api, org.admin, session["id"], 88)
        scored = await ws.next_data()
        assert scored["data"]["sessionUpdated"]["scorecard"] == {"decision": "PASS"}
        assert [e["sequence"] for e in scored["data"]["sessionUpdated"]["events"]] == [1, 2, 3, 4]


async def test_events_carry_what_webhooks_carry_and_respect_the_filter(sqlite_api: Api, sqlite_org: Org) -> None:
    api, org = sqlite_api, sqlite_org
    template, application, _ = await flows.application_with_session(api, org.admin)
    other_app = await flows.add_participant(api, org.admin, template["id"], "other@example.com")
    async with api.websocket() as ws:
        await ws.init(org.admin)
        await ws.subscribe(EVENTS, {"f": {"applicationId": other_app["id"], "types": ["SESSION_CREATED", "SESSION_CANCELLED"]}})
        await flows.schedule(api, org.admin, application["id"], template["stages"][1]["id"])  # filtered out
        mine = await flows.schedule(api, org.admin, other_app["id"])
        await flows.mutate(api, flows.START, {"id": mine["id"]}, org.admin)  # type filtered out
        await flows.mutate(api, flows.FAIL, {"id": mine["id"], "reason": "x"}, org.admin)
        retry = await flows.schedule(api, org.admin, other_app["id"])
        await flows.mutate(api, flows.CANCEL, {"id": retry["id"]}, org.admin)
        got = [p["data"]["events"] for p in await ws.collect(3)]
    assert [(e["type"], e["session"]["id"], e["sequence"]) for e in got] == [
        ("SESSION_CREATED", mine["id"], 1),
        ("SESSION_CREATED", retry["id"], 1),
        ("SESSION_CANCELLED", retry["id"], 2),
    ]
    assert got[2]["data"]["session"]["status"] == "CANCELLED" and got[2]["data"]["sequence"] == 2


async def test_credentials_and_scoping_on_websockets(sqlite_api: Api, sqlite_org: Org) -> None:
    api, org = sqlite_api, sqlite_org
    _, _, session = await flows.application_with_session(api, org.admin)
    # No or a bad token: the connection is refused (4403 on graphql-transport-ws).
    for token in (None, "iak_wrong"):
        async with api.websocket() as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.init(token)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    # Legacy protocol: connection_error.
    async with api.websocket("graphql-ws") as ws:
        assert (await ws.init("iak_wrong"))["type"] == "connection_error"
    # Another organization's session is an error, not a silent hang.
    other = await create_org(api.settings.database_url, "Other")
    async with api.websocket() as ws:
        await ws.init(other.admin)
        for variables, code in (({"id": session["id"]}, "NOT_FOUND"), ({"id": "garbage"}, "VALIDATION")):
            op = await ws.subscribe(TRANSCRIPT, variables)
            message = await ws.receive()
            assert message["id"] == op and message["type"] == "next"
            assert message["payload"]["data"] is None
            assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == [code]
            assert await ws.receive() == {"id": op, "type": "complete"}


async def test_session_updated_on_a_final_session_sends_it_and_completes(sqlite_api: Api, sqlite_org: Org) -> None:
    api, org = sqlite_api, sqlite_org
    _, _, session = await flows.application_with_session(api, org.admin)
    await flows.mutate(api, flows.CANCEL, {"id": session["id"]}, org.admin)
    async with api.websocket() as ws:
        await ws.init(org.admin)
        op = await ws.subscribe(SESSION_UPDATED, {"id": session["id"]})
        assert (await ws.next_data())["data"]["sessionUpdated"]["status"] == "CANCELLED"
        assert await ws.receive() == {"id": op, "type": "complete"}
