"""Failures: retries with the same webhook-id, order within a session, Retry-After, 410,
auto-disable, timeouts, redirects, redelivery, and the address check at send time."""

import asyncio
from typing import Any

from sqlalchemy import select
from standardwebhooks import Webhook
from starlette.responses import Response

from models.db import create_database
from models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from services.webhooks.signing import new_secret
from tests.conftest import create_org
from tests.support import flows
from tests.support.server import Api, serve
from tests.webhooks.support import (
    CREATE_ENDPOINT,
    DELIVERIES,
    ENDPOINTS,
    REDELIVER,
    Received,
    poll,
    receiver,
    webhook_settings,
)


async def _endpoint(api: Api, token: str, url: str, **options: Any) -> tuple[str, str]:
    created = await flows.mutate(api, CREATE_ENDPOINT, {"input": {"url": url, **options}}, token)
    return created["endpoint"]["id"], created["secret"]


async def _deliveries(api: Api, token: str, endpoint_id: str) -> list[dict[str, Any]]:
    node = (await api.ok(DELIVERIES, {"id": endpoint_id}, token=token))["node"]
    return [edge["node"] for edge in node["deliveries"]["edges"]]


async def _settled(api: Api, token: str, endpoint_id: str, count: int, status: str = "SUCCEEDED") -> list[dict[str, Any]]:
    """The endpoint's deliveries once `count` of them have `status`."""

    async def done() -> bool:
        return sum(d["status"] == status for d in await _deliveries(api, token, endpoint_id)) >= count

    await poll(done)
    return await _deliveries(api, token, endpoint_id)


async def _attempts(database_url: str) -> list[WebhookAttempt]:
    database = create_database(database_url, pool_size=1)
    try:
        async with database.read() as db:
            return list(await db.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)))  # type: ignore[arg-type]
    finally:
        await database.dispose()


async def test_failed_attempts_are_retried_with_the_same_webhook_id_and_recorded(database_url: str) -> None:
    def flaky(request: Received, previous: int) -> Response:
        return Response("boom", status_code=500) if previous < 2 else Response("fine", status_code=200)

    async with receiver(flaky) as hook, serve(webhook_settings(database_url)) as api:
        org = await create_org(database_url)
        endpoint_id, secret = await _endpoint(api, org.admin, hook.url, eventTypes=["SESSION_CREATED"])
        await flows.application_with_session(api, org.admin)
        (delivery,) = await _settled(api, org.admin, endpoint_id, 1)

        assert delivery["attempts"] == 3 and delivery["responseStatus"] == 200 and delivery["lastError"] is None
        assert len(hook.requests) == 3 and len(hook.ids()) == 1
        assert len({r.body for r in hook.requests}) == 1  # the same body each time
        assert hook.requests[0].msg_id == delivery["event"]["id"]
        for request in hook.requests:
            Webhook(secret).verify(request.body, request.headers)
        attempts = await _attempts(database_url)
        assert [a.response_status for a in attempts] == [500, 500, 200]
        assert [a.error for a in attempts] == ["HTTP 500: boom", "HTTP 500: boom", None]
        assert all(a.latency_ms is not None and a.latency_ms >= 0 for a in attempts)
        assert attempts[0].next_attempt_at is not None and attempts[2].next_attempt_at is None
        assert attempts[0].next_attempt_at > attempts[0].attempted_at


async def test_a_later_event_waits_while_an_earlier_one_is_retrying(database_url: str) -> None:
    """Session A's first event fails three times: A's later events wait for it, while
    session B's go out meanwhile."""
    blocked: dict[str, str] = {}

    def respond(request: Received, previous: int) -> Response:
        data = request.json["data"]
        if data["session"]["id"] == blocked.get("session") and data["sequence"] == 1 and previous < 3:
            return Response(status_code=503)
        return Response(status_code=204)

    async with receiver(respond) as hook, serve(webhook_settings(database_url, webhook_retry_schedule=[0.3] * 5)) as api:
        org = await create_org(database_url)
        endpoint_id, _ = await _endpoint(api, org.admin, hook.url)
        template = await flows.create_template(api, org.admin)
        first = await flows.add_participant(api, org.admin, template["id"], "a@example.com")
        second = await flows.add_participant(api, org.admin, template["id"], "b@example.com")
        # Known before its first event commits, so the receiver can fail exactly that one.
        session_a = await flows.schedule(api, org.admin, first["id"])
        blocked["session"] = session_a["id"]
        await flows.run_interview(api, org.admin, session_a["id"], segments=0)
        session_b = await flows.schedule(api, org.admin, second["id"])
        await flows.run_interview(api, org.admin, session_b["id"], segments=0)
        await _settled(api, org.admin, endpoint_id, 6)

    def sequences(session_id: str) -> list[int]:
        return [r.json["data"]["sequence"] for r in hook.requests if r.json["data"]["session"]["id"] == session_id]

    # A's first event may have failed before A's own id was known to the receiver; what
    # matters is that 2 and 3 came after its final success.
    a = sequences(session_a["id"])
    assert a[-2:] == [2, 3] and set(a[:-2]) == {1} and len(a) >= 2
    assert sequences(session_b["id"]) == [1, 2, 3]
    # B did not wait for A: its last event arrived before A's second one.
    last_b = max(r.at for r in hook.requests if r.json["data"]["session"]["id"] == session_b["id"])
    first_a2 = min(r.at for r in hook.requests if r.json["data"]["session"]["id"] == session_a["id"] and r.json["data"]["sequence"] == 2)
    assert last_b < first_a2


async def test_retry_after_is_honoured(sqlite_url: str) -> None:
    def limited(request: Received, previous: int) -> Response:
        return Response(status_code=429, headers={"retry-after": "1"}) if previous == 0 else Response(status_code=200)

    async with receiver(limited) as hook, serve(webhook_settings(sqlite_url)) as api:
        org = await create_org(sqlite_url)
        endpoint_id, _ = await _endpoint(api, org.admin, hook.url, eventTypes=["SESSION_CREATED"])
        await flows.application_with_session(api, org.admin)
        await _settled(api, org.admin, endpoint_id, 1)
    first, second = hook.requests
    assert second.at - first.at >= 1.0  # not the schedule's 0.2 s


async def test_only_2xx_counts_redirects_are_not_followed_and_slow_receivers_time_out(sqlite_url: str) -> None:
    async def respond(request: Received, previous: int) -> Response:
        if previous == 0:
            return Response(status_code=307, headers={"location": "/elsewhere"})
        if previous == 1:
            return Response("not json", status_code=400)
        if previous == 2:
            await asyncio.sleep(1.5)
        return Response(status_code=202)

    settings = webhook_settings(sqlite_url, webhook_timeout=0.5, webhook_retry_schedule=[0.1] * 5)
    async with receiver(respond) as hook, serve(settings) as api:
        org = await create_org(sqlite_url)
        endpoint_id, _ = await _endpoint(api, org.admin, hook.url, eventTypes=["SESSION_CREATED"])
        await flows.application_with_session(api, org.admin)
        (delivery,) = await _settled(api, org.admin, endpoint_id, 1)
        assert delivery["attempts"] == 4 and delivery["responseStatus"] == 202
    attempts = await _attempts(sqlite_url)
    assert [a.response_status for a in attempts] == [307, 400, None, 202]
    assert [a.error for a in attempts] == ["HTTP 307", "HTTP 400: not json", "timed out after 0.5 s", None]
    assert 400 <= (attempts[2].latency_ms or 0) < 1400
    assert len(hook.requests) == 4  # nothing went to /elsewhere


async def test_gone_disables_the_endpoint_at_once(database_url: str) -> None:
    async with receiver(lambda r, n: Response(status_code=410)) as hook, serve(webhook_settings(database_url)) as api:
        org = await create_org(database_url)
        endpoint_id, _ = await _endpoint(api, org.admin, hook.url)
        await flows.application_with_session(api, org.admin)

        async def disabled() -> bool:
            return not (await api.ok(ENDPOINTS, token=org.admin))["webhookEndpoints"][0]["enabled"]

        await poll(disabled)
        (delivery,) = await _deliveries(api, org.admin, endpoint_id)
        assert delivery["attempts"] == 1 and delivery["responseStatus"] == 410
        assert len(hook.requests) == 1
        errors = await flows.refused(api, REDELIVER, {"id": delivery["id"]}, org.admin)
        assert "disabled" in errors[0]["message"]
    database = create_database(database_url, pool_size=1)
    try:
        async with database.read() as db:
            endpoint = (await db.scalars(select(WebhookEndpoint))).one()
        assert endpoint.disabled_reason == "the endpoint answered 410 Gone"
    finally:
        await database.dispose()


async def test_an_endpoint_that_fails_every_attempt_for_the_disable_period_is_disabled(sqlite_url: str) -> None:
    settings = webhook_settings(sqlite_url, webhook_disable_after=0.6, webhook_retry_schedule=[0.2] * 20)
    async with receiver(lambda r, n: Response(status_code=500)) as hook, serve(settings) as api:
        org = await create_org(sqlite_url)
        await _endpoint(api, org.admin, hook.url, eventTypes=["SESSION_CREATED"])
        await flows.application_with_session(api, org.admin)

        async def disabled() -> bool:
            return not (await api.ok(ENDPOINTS, token=org.admin))["webhookEndpoints"][0]["enabled"]

        await poll(disabled)
        count = len(hook.requests)
    assert count >= 3
    # The streak is measured between recorded results; the requests' arrival times trail
    # them by each attempt's own duration.
    assert hook.requests[-1].at - hook.requests[0].at >= 0.6 - 0.2
    attempts = await _attempts(sqlite_url)
    assert len(attempts) == count  # nothing was sent after it was disabled


async def test_an_exhausted_delivery_fails_and_redelivery_sends_it_again_with_the_same_id(database_url: str) -> None:
    answers = {"status": 500}

    async with receiver(lambda r, n: Response(status_code=answers["status"])) as hook, serve(
        webhook_settings(database_url, webhook_retry_schedule=[0.1, 0.1])
    ) as api:
        org = await create_org(database_url)
        endpoint_id, secret = await _endpoint(api, org.admin, hook.url, eventTypes=["SESSION_CREATED"])
        await flows.application_with_session(api, org.admin)
        (delivery,) = await _settled(api, org.admin, endpoint_id, 1, status="FAILED")
        assert delivery["attempts"] == 3 and delivery["nextAttemptAt"] is None and delivery["responseStatus"] == 500

        answers["status"] = 200
        redelivered = (await flows.mutate(api, REDELIVER, {"id": delivery["id"]}, org.admin))["delivery"]
        assert redelivered["id"] == delivery["id"] and redelivered["status"] == "PENDING"
        (delivery,) = await _settled(api, org.admin, endpoint_id, 1)
        assert delivery["attempts"] == 4 and delivery["responseStatus"] == 200

        # Redelivering a delivered event sends it once more, again with the same webhook-id.
        await flows.mutate(api, REDELIVER, {"id": delivery["id"]}, org.admin)
        await hook.wait_for(lambda r: len(r.requests) == 5)
        await _settled(api, org.admin, endpoint_id, 1)
    assert hook.ids() == {delivery["event"]["id"]}
    for request in hook.requests:
        Webhook(secret).verify(request.body, request.headers)


async def test_an_endpoint_that_now_resolves_to_a_private_address_is_not_sent_to(sqlite_url: str) -> None:
    """The URL check runs again at send time: an endpoint saved when its name was public
    but now pointing at loopback (here: a row written directly) gets nothing."""
    # A long wait after the refused attempt, so the delivery is still PENDING when looked at.
    settings = webhook_settings(sqlite_url, webhook_allow_private_urls=False, webhook_retry_schedule=[60])
    async with receiver() as hook, serve(settings) as api:
        org = await create_org(sqlite_url)
        port = hook.url.split(":")[2].split("/")[0]
        database = create_database(sqlite_url, pool_size=1)
        try:
            async with database.writer() as db, db.begin():
                db.add(WebhookEndpoint(organization_id=org.id, url=f"https://localhost:{port}/hook", secret=new_secret()))
        finally:
            await database.dispose()
        await flows.application_with_session(api, org.admin)
        (endpoint,) = (await api.ok(ENDPOINTS, token=org.admin))["webhookEndpoints"]

        async def attempted() -> bool:
            deliveries = await _deliveries(api, org.admin, endpoint["id"])
            return bool(deliveries) and deliveries[0]["attempts"] >= 1

        await poll(attempted)
        (delivery,) = await _deliveries(api, org.admin, endpoint["id"])
    assert delivery["lastError"].startswith("refused: localhost resolves to")
    assert delivery["responseStatus"] is None and delivery["status"] == "PENDING"
    assert hook.requests == []
