"""Webhook test helpers: a real HTTP receiver on loopback, and sessions driven in-process."""

import asyncio
import inspect
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.settings import Settings
from models import Event, Role
from models.db import Database, create_database
from services import applications, scoring, sessions, templates
from services.auth import Actor
from services.live import LiveHub
from services.scoring import CriterionInput
from services.uow import Runtime, unit_of_work
from tests.conftest import make_settings


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when the request arrived

    @property
    def msg_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def json(self) -> dict[str, Any]:
        return orjson.loads(self.body)  # type: ignore[no-any-return]


# (the request, how many requests with its webhook-id came before it) -> the response
Respond = Callable[[Received, int], Response | Awaitable[Response]]


def ok(_: Received, __: int) -> Response:
    return Response(status_code=204)


@dataclass
class Receiver:
    """What a receiver got; `respond` decides each answer."""

    respond: Respond = ok
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    # Requests for a webhook-id that arrived while another with that id was being answered.
    concurrent_duplicates: int = 0
    _in_flight: Counter[str] = field(default_factory=Counter)
    _arrivals: Counter[str] = field(default_factory=Counter)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(self, request: Request) -> Response:
        received = Received({k.lower(): v for k, v in request.headers.items()}, await request.body(), time.time())
        msg_id = received.headers.get("webhook-id", "")
        if self._in_flight[msg_id]:
            self.concurrent_duplicates += 1
        self._in_flight[msg_id] += 1
        previous = self._arrivals[msg_id]
        self._arrivals[msg_id] += 1
        try:
            answer = self.respond(received, previous)
            response = await answer if inspect.isawaitable(answer) else answer
        finally:
            self._in_flight[msg_id] -= 1
        # Recorded once answered, so a test that sees it knows the sender got the response.
        self.requests.append(received)
        async with self._changed:
            self._changed.notify_all()
        return response

    @property
    def arrivals(self) -> int:
        """Requests that arrived, answered or not (a sender killed mid-request leaves one unanswered)."""
        return sum(self._arrivals.values())

    def ids(self) -> set[str]:
        return {r.msg_id for r in self.requests}

    def by_id(self) -> dict[str, list[Received]]:
        grouped: dict[str, list[Received]] = {}
        for r in self.requests:
            grouped.setdefault(r.msg_id, []).append(r)
        return grouped

    async def wait_for(self, condition: Callable[["Receiver"], bool], timeout: float = 10.0) -> None:
        """Until `condition(self)` holds; fails after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            async with self._changed:
                await self._changed.wait_for(lambda: condition(self))


@asynccontextmanager
async def receiver(respond: Respond = ok) -> AsyncIterator[Receiver]:
    """A Starlette app served by uvicorn on 127.0.0.1 (a free port) that records every POST."""
    state = Receiver(respond=respond)
    app = Starlette(routes=[Route("/hook", state.handle, methods=["POST"])])
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", backlog=2048)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        state.url = f"http://127.0.0.1:{port}/hook"
        yield state
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def poll(condition: Callable[[], Awaitable[bool]], timeout: float = 10.0, interval: float = 0.05) -> None:
    """Until the async `condition()` is true (e.g. a database state); fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(interval)  # polling a condition with a deadline


def webhook_settings(database_url: str, **overrides: object) -> Settings:
    """The app's settings with short webhook delays, so retries happen within a test."""
    values: dict[str, object] = {
        "webhook_retry_schedule": [0.2, 0.2, 0.2],
        "webhook_poll_interval": 0.05,
        "webhook_timeout": 2.0,
        "webhook_claim_seconds": 4.0,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


class Driver:
    """Drives sessions through the services in this process (faster than GraphQL when a
    test needs many events); its commits wake nothing, like another API process's."""

    def __init__(self, database_url: str, organization_id: int) -> None:
        self.database: Database = create_database(database_url, pool_size=5)
        self.runtime = Runtime(
            database=self.database, live=LiveHub("memory://"), join_secret=b"test", public_base_url="https://x.test"
        )
        self.actor = Actor(organization_id=organization_id, role=Role.ADMIN)
        self._template_id: int | None = None
        self._count = 0

    async def __aenter__(self) -> "Driver":
        await self.runtime.live.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runtime.live.disconnect()
        await self.database.dispose()

    async def _template(self) -> int:
        if self._template_id is None:
            async with unit_of_work(self.runtime) as uow:
                template = await templates.create_template(
                    uow,
                    self.actor,
                    name="Webhooks",
                    slug=None,
                    stages=[templates.StageInput("Only", 50.0)],
                )
                self._template_id = template.id
        assert self._template_id is not None
        return self._template_id

    async def session(self, *, complete: bool = True, score: float | None = 80.0) -> int:
        """A new application and its session: created, started, completed and scored
        (4 events). Returns the session id."""
        template_id = await self._template()
        self._count += 1
        async with unit_of_work(self.runtime) as uow:
            application = await applications.add_participant(
                uow, self.actor, template_id=template_id, name="P", email=f"p{self._count}-{id(self)}@example.com"
            )
            assert application.id is not None
            session = await sessions.schedule(
                uow, self.actor, b"test", application_id=application.id, stage_id=None, scheduled_for=None
            )
            assert session.id is not None
            session_id = session.id
        async with unit_of_work(self.runtime) as uow:
            await sessions.start(uow, self.actor, session_id)
        if complete:
            async with unit_of_work(self.runtime) as uow:
                await sessions.complete(uow, self.actor, session_id, None)
            if score is not None:
                async with unit_of_work(self.runtime) as uow:
                    await scoring.submit_scorecard(
                        uow, self.actor, b"test", session_id=session_id, criteria=[CriterionInput("x", score)], summary=None
                    )
        return session_id

    async def event_ids(self) -> list[int]:
        async with self.database.read() as db:
            return list(await db.scalars(select(Event.id).order_by(Event.id)))  # type: ignore[arg-type]


# --- GraphQL documents of the webhook contract ---------------------------------------------

ENDPOINT_FIELDS = "id url description eventTypes enabled createdAt"
DELIVERY_FIELDS = "id status attempts responseStatus lastError nextAttemptAt deliveredAt event { id type sequence data } endpoint { id }"
ERRORS = "userErrors { code field message }"

CREATE_ENDPOINT = f"""mutation($input: CreateWebhookEndpointInput!) {{
  createWebhookEndpoint(input: $input) {{ endpoint {{ {ENDPOINT_FIELDS} }} secret {ERRORS} }} }}"""
UPDATE_ENDPOINT = f"""mutation($id: ID!, $input: UpdateWebhookEndpointInput!) {{
  updateWebhookEndpoint(id: $id, input: $input) {{ endpoint {{ {ENDPOINT_FIELDS} }} secret {ERRORS} }} }}"""
DELETE_ENDPOINT = f"""mutation($id: ID!) {{ deleteWebhookEndpoint(id: $id) {{ deletedId {ERRORS} }} }}"""
ROTATE_SECRET = f"""mutation($id: ID!) {{ rotateWebhookSecret(id: $id) {{ endpoint {{ {ENDPOINT_FIELDS} }} secret {ERRORS} }} }}"""
REDELIVER = f"""mutation($id: ID!) {{ redeliverWebhook(deliveryId: $id) {{ delivery {{ {DELIVERY_FIELDS} }} {ERRORS} }} }}"""
ENDPOINTS = f"""{{ webhookEndpoints {{ {ENDPOINT_FIELDS} deliveries(first: 100) {{ totalCount edges {{ node {{ {DELIVERY_FIELDS} }} }} }} }} }}"""
DELIVERIES = f"""query($id: ID!) {{ node(id: $id) {{ ... on WebhookEndpoint {{ enabled
  deliveries(first: 100) {{ totalCount edges {{ node {{ {DELIVERY_FIELDS} }} }} }} }} }} }}"""
