"""The real app served by uvicorn in this process on a free port, and clients for it."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect

from app.main import create_app
from app.settings import Settings


class GraphQLErrors(AssertionError):
    pass


@dataclass
class Api:
    url: str
    http: httpx.AsyncClient
    settings: Settings
    app: Starlette | None = None

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/graphql"

    async def gql(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> dict[str, Any]:
        """The whole response (data and errors)."""
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def ok(self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None) -> dict[str, Any]:
        """The data of a response that must have no errors."""
        body = await self.gql(query, variables, token=token)
        if body.get("errors"):
            raise GraphQLErrors(json.dumps(body["errors"], indent=2))
        data: dict[str, Any] = body["data"]
        return data

    @asynccontextmanager
    async def websocket(self, protocol: str = "graphql-transport-ws") -> AsyncIterator["WsClient"]:
        async with connect(self.ws_url, subprotocols=[protocol], open_timeout=10) as socket:  # type: ignore[list-item]
            yield WsClient(socket, protocol)


@dataclass
class WsClient:
    """A small client of graphql-transport-ws (and of the legacy graphql-ws)."""

    socket: ClientConnection
    protocol: str

    @property
    def legacy(self) -> bool:
        return self.protocol == "graphql-ws"

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, timeout: float = 10.0) -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
            if message["type"] not in ("ka", "ping", "pong"):
                return message
            if message["type"] == "ping":
                await self.send({"type": "pong"})

    async def init(self, token: str | None) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"} if token else {}})
        return await self.receive()

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        op_id = uuid.uuid4().hex
        kind = "start" if self.legacy else "subscribe"
        await self.send({"id": op_id, "type": kind, "payload": {"query": query, "variables": variables or {}}})
        return op_id

    async def next_data(self, timeout: float = 10.0) -> dict[str, Any]:
        """The payload of the next "next"/"data" message; fails on anything else."""
        message = await self.receive(timeout)
        assert message["type"] in ("next", "data"), message
        return message["payload"]  # type: ignore[no-any-return]

    async def collect(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        return [await self.next_data(timeout) for _ in range(count)]


def _free_port_server(app: Starlette, settings: Settings) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        ws="websockets-sansio",
        lifespan="on",
        log_level="warning",
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout,
    )
    return uvicorn.Server(config)


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[Api]:
    """Serve `settings`' app until the block ends; waits for startup, fails if it did not."""
    app = create_app(settings)
    server = _free_port_server(app, settings)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("the server stopped during startup")
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            yield Api(url=url, http=http, settings=settings, app=app)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
