"""The Starlette application: GraphQL over HTTP and WebSocket, health checks, lifespan."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from app.settings import Settings
from app.shared_streams import SharedStreams
from app.websocket import SharedTransportWSHandler
from app.wiring import Services, start_services
from schema.context import Context
from schema.schema import schema
from services.auth import Actor

logger = logging.getLogger("interview_api")


def _bearer(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context, credentials and shared subscriptions."""

    graphql_transport_ws_handler_class = SharedTransportWSHandler

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            schema,
            keep_alive=True,
            keep_alive_interval=15,
            allowed_origins=settings.allowed_origins,
        )
        self.settings = settings
        self.shared_streams = SharedStreams(queue_size=settings.live_queue_size)

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:  # type: ignore[override]
        services: Services = request.app.state.services
        context = Context(
            runtime=services.runtime, max_page_size=self.settings.max_page_size, request=request, response=response
        )
        if isinstance(request, Request):
            token = _bearer(request.headers.get("authorization"))
            if token is not None:
                context.actor = await services.authenticate(token)
        return context

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        """The credential of a WebSocket comes in connection_init: {"authorization": "Bearer ..."}."""
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        token = _bearer(raw)
        actor: Actor | None = None
        if token is not None:
            assert context.request is not None
            actor = await context.request.app.state.services.authenticate(token)
        if actor is None:
            raise ConnectionRejectionError({"message": "a valid API key is required in connection_init"})
        context.actor = actor
        return None


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        return JSONResponse({"status": "starting"}, status_code=503)
    try:
        async with services.runtime.database.read() as db:
            await db.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any database failure means "not ready"
        return JSONResponse({"status": "database unavailable", "error": type(error).__name__}, status_code=503)
    return JSONResponse({"status": "ready"})


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with start_services(settings) as services:
            app.state.services = services
            if settings.gc_freeze_after_startup:
                gc.collect()
                gc.freeze()
            yield

    graphql = GraphQLApp(settings)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
        ],
        lifespan=lifespan,
    )
    app.state.graphql = graphql  # for introspection of live resources (tests, diagnostics)
    return app


def create_app_from_env() -> Starlette:
    """The uvicorn factory: `uvicorn --factory app.main:create_app_from_env`."""
    return create_app(Settings())
