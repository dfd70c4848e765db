"""The fan-out floor: a bare WebSocket broadcast to compare the API's subscriptions against.

A Starlette app served by uvicorn exactly as `interview-api serve` serves the API (the
same `uvicorn.run` arguments, so the same loop, HTTP and WebSocket implementations, ping
settings and per-message-deflate default). It speaks just enough graphql-transport-ws for
the benchmark's client (connection_init -> connection_ack, subscribe, ping -> pong,
complete) and knows nothing of GraphQL.

`POST /publish` carries the JSON payload of one "next" message; the handler sends it to
every subscribed socket, wrapped as `{"id":<op id>,"type":"next","payload":...}`, the
same bytes the API's shared execution writes per subscriber. What the API spends above
this is the price of its machinery (mutation, database, broadcaster, GraphQL).

Two broadcast modes (FANOUT_FLOOR_MODE):
- `direct` (default): the POST handler writes to each socket in turn. uvicorn's send only
  waits when a socket's buffer is over its high-water mark, so this is the cheapest
  broadcast there is (and a stalled socket would hold up the rest: fine for a floor).
- `queued`: each socket has a queue and a sender task, the shape of the API's members;
  the difference between the two modes is the price of one task switch per delivery.

Run: python -m bench.fanout_floor --port 8102
"""

import argparse
import asyncio
import os
from contextlib import suppress
from dataclasses import dataclass, field

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.settings import Settings

PROTOCOL = "graphql-transport-ws"
MODES = ("direct", "queued")


@dataclass(eq=False)
class Subscriber:
    socket: WebSocket
    prefix: str  # '{"id":"<op id>","type":"next","payload":'
    queue: asyncio.Queue[str] = field(default_factory=asyncio.Queue)


class Broadcaster:
    """The subscribed sockets of this process and the two ways of writing to them."""

    def __init__(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"FANOUT_FLOOR_MODE must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self.subscribers: set[Subscriber] = set()

    async def publish(self, payload: str) -> None:
        for subscriber in list(self.subscribers):
            message = subscriber.prefix + payload + "}"
            if self.mode == "queued":
                subscriber.queue.put_nowait(message)
                continue
            try:
                await subscriber.socket.send_text(message)
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.subscribers.discard(subscriber)  # gone mid-broadcast; its reader cleans up

    async def drain(self, subscriber: Subscriber) -> None:
        """The sender task of a subscriber in `queued` mode."""
        while True:
            await subscriber.socket.send_text(await subscriber.queue.get())


async def _serve_socket(socket: WebSocket, broadcaster: Broadcaster) -> None:
    await socket.accept(subprotocol=PROTOCOL)
    init = orjson.loads(await socket.receive_text())
    if init.get("type") != "connection_init":
        await socket.close(4400)
        return
    await socket.send_text('{"type":"connection_ack"}')
    subscriber: Subscriber | None = None
    sender: asyncio.Task[None] | None = None
    try:
        while True:
            message = orjson.loads(await socket.receive_text())
            kind = message.get("type")
            if kind == "ping":
                await socket.send_text('{"type":"pong"}')
            elif kind == "subscribe" and subscriber is None:
                prefix = '{"id":' + orjson.dumps(message["id"]).decode() + ',"type":"next","payload":'
                subscriber = Subscriber(socket, prefix)
                if broadcaster.mode == "queued":
                    sender = asyncio.create_task(broadcaster.drain(subscriber))
                broadcaster.subscribers.add(subscriber)
            elif kind == "complete" and subscriber is not None:
                broadcaster.subscribers.discard(subscriber)
    except WebSocketDisconnect:
        pass
    finally:
        if subscriber is not None:
            broadcaster.subscribers.discard(subscriber)
        if sender is not None:
            sender.cancel()
            with suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError, OSError):
                await sender


def create_app() -> Starlette:
    broadcaster = Broadcaster(os.environ.get("FANOUT_FLOOR_MODE", "direct"))

    async def publish(request: Request) -> Response:
        await broadcaster.publish((await request.body()).decode())
        return Response(status_code=204)

    async def readyz(request: Request) -> Response:
        return JSONResponse({"status": "ready", "subscribers": len(broadcaster.subscribers)})

    async def socket(websocket: WebSocket) -> None:
        await _serve_socket(websocket, broadcaster)

    routes: list[Route | WebSocketRoute] = [
        Route("/publish", publish, methods=["POST"]),
        Route("/readyz", readyz),
        WebSocketRoute("/graphql", socket),
    ]
    return Starlette(routes=routes)


def main() -> None:
    parser = argparse.ArgumentParser(description="serve the fan-out benchmark's floor")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8102)
    args = parser.parse_args()
    settings = Settings()
    # The same call as app.cli._run_uvicorn, so both servers run on the same machinery.
    uvicorn.run(
        "bench.fanout_floor:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=1,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout,
        log_level=settings.log_level.lower(),
    )


if __name__ == "__main__":
    main()
