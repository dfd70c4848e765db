"""End to end on both databases: the real app (embedded dispatcher), sessions driven over
GraphQL, a real receiver on loopback, signatures checked by the reference verifier."""

from typing import Any

from standardwebhooks import Webhook

from tests.conftest import create_org
from tests.support import flows
from tests.support.server import serve
from tests.webhooks.support import (
    CREATE_ENDPOINT,
    DELIVERIES,
    ROTATE_SECRET,
    UPDATE_ENDPOINT,
    poll,
    receiver,
    webhook_settings,
)

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


async def test_filters_rotation_and_disabling(sqlite_url: str) -> None:
    """An endpoint hears only its event types; after a rotation both secrets verify; a
    disabled endpoint gets no deliveries until it is enabled again."""
    async with receiver() as every, receiver() as started_only, serve(webhook_settings(sqlite_url)) as api:
        org = await create_org(sqlite_url)
        first = await flows.mutate(api, CREATE_ENDPOINT, {"input": {"url": every.url}}, org.admin)
        second = await flows.mutate(
            api, CREATE_ENDPOINT, {"input": {"url": started_only.url, "eventTypes": ["SESSION_STARTED"]}}, org.admin
        )
        template, application, session = await flows.application_with_session(api, org.admin)
        await flows.mutate(api, flows.START, {"id": session["id"]}, org.admin)
        await every.wait_for(lambda r: len(r.requests) == 2)
        await started_only.wait_for(lambda r: len(r.requests) == 1)
        assert started_only.requests[0].json["type"] == "session.started"

        rotated = await flows.mutate(api, ROTATE_SECRET, {"id": first["endpoint"]["id"]}, org.admin)
        await flows.mutate(api, UPDATE_ENDPOINT, {"id": second["endpoint"]["id"], "input": {"enabled": False}}, org.admin)
        await flows.mutate(api, flows.COMPLETE, {"id": session["id"]}, org.admin)
        await every.wait_for(lambda r: len(r.requests) == 3)
        latest = every.requests[-1]
        assert latest.json["type"] == "session.completed"
        assert len(latest.headers["webhook-signature"].split(" ")) == 2
        Webhook(rotated["secret"]).verify(latest.body, latest.headers)
        Webhook(first["secret"]).verify(latest.body, latest.headers)

        # Events while the second endpoint is disabled never become its deliveries.
        other = await flows.add_participant(api, org.admin, template["id"], "b@example.com")
        disabled_time = await flows.schedule(api, org.admin, other["id"])
        await flows.mutate(api, flows.START, {"id": disabled_time["id"]}, org.admin)
        await every.wait_for(lambda r: len(r.requests) == 5)
        await flows.mutate(api, UPDATE_ENDPOINT, {"id": second["endpoint"]["id"], "input": {"enabled": True}}, org.admin)
        third = await flows.add_participant(api, org.admin, template["id"], "c@example.com")
        enabled_again = await flows.schedule(api, org.admin, third["id"])
        await flows.mutate(api, flows.START, {"id": enabled_again["id"]}, org.admin)
        await started_only.wait_for(lambda r: len(r.requests) == 2)
        await every.wait_for(lambda r: len(r.requests) == 7)
        assert [r.json["data"]["session"]["id"] for r in started_only.requests] == [session["id"], enabled_again["id"]]
        deliveries = await _deliveries(api, org.admin, second["endpoint"]["id"])
        assert len(deliveries) == 2

        # A delivery is a node too.
        node = await api.ok(
            "query($id: ID!) { node(id: $id) { ... on WebhookDelivery { id status event { type } endpoint { url } } } }",
            {"id": deliveries[0]["id"]},
            token=org.admin,
        )
        assert node["node"]["endpoint"]["url"] == started_only.url
