"""End to end on both databases: the real app (embedded dispatcher), sessions driven over
GraphQL, a real receiver on loopback, signatures checked by the reference verifier."""

from typing import Any

from standardwebhooks import Webhook

from tests.conftest import create_org
from tests.support import flows
from tests.support.server import serve
from tests.webhooks.support import CREATE_ENDPOINT, DELIVERIES, poll, receiver, webhook_settings

EVENTS = """query($id: ID!) { events(sessionId: $id, first: 100) { edges { node { id type sequence data } } } }"""


async def _deliveries(api: Any, token: str, endpoint_id: str) -> list[dict[str, Any]]:
    data = await api.ok(DELIVERIES, {"id": endpoint_id}, token=token)
    return [edge["node"] for edge in data["node"]["deliveries"]["edges"]]


async def test_every_event_of_a_session_is_delivered_signed_and_in_order(database_url: str) -> None:
    async with receiver() as hook, serve(webhook_settings(database_url)) as api:
        org = await create_org(database_url)
        created = await flows.mutate(api, CREATE_ENDPOINT, {"input": {"url": hook.url}}, org.admin)
        secret = created["secret"]
        _, _, session = await flows.application_with_session(api, org.admin)
        await flows.run_interview(api, org.admin, session["id"], segments=0)
        await flows.score(api, org.admin, session["id"], 30)  # FAIL: no next stage

        events = [e["node"] for e in (await api.ok(EVENTS, {"id": session["id"]}, token=org.admin))["events"]["edges"]]
        assert [e["type"] for e in sorted(events, key=lambda e: e["sequence"])] == [
            "SESSION_CREATED", "SESSION_STARTED", "SESSION_COMPLETED", "SESSION_SCORED"
        ]
        await hook.wait_for(lambda r: len(r.ids()) == 4)

        verifier = Webhook(secret)
        by_id = {e["id"]: e for e in events}
        for request in hook.requests:
            body = verifier.verify(request.body, request.headers)
            event = by_id[request.msg_id]
            assert body["type"] == "session." + event["type"].split("_", 1)[1].lower()
            assert body["data"] == event["data"]
            assert body["timestamp"].endswith("Z")
            assert request.headers["content-type"] == "application/json"
        assert [r.json["data"]["sequence"] for r in hook.requests] == [1, 2, 3, 4]

        endpoint_id = created["endpoint"]["id"]

        async def all_recorded() -> bool:
            return all(d["status"] != "PENDING" for d in await _deliveries(api, org.admin, endpoint_id))

        await poll(all_recorded)
        deliveries = await _deliveries(api, org.admin, endpoint_id)
        assert len(deliveries) == 4
        for delivery in deliveries:
            assert delivery["status"] == "SUCCEEDED"
            assert delivery["attempts"] == 1
            assert delivery["responseStatus"] == 204
            assert delivery["nextAttemptAt"] is None and delivery["deliveredAt"] is not None
            assert delivery["endpoint"]["id"] == created["endpoint"]["id"]
