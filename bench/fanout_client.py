"""The subscribers of the fan-out benchmark: N graphql-transport-ws sockets on one subscription.

All sockets of a `Fleet` send the same document, variables and token, so on the API they
share one execution group. Each message carries its send time in the segment text
(`<tag>:<index>:<monotonic ns>:<filler>`); CLOCK_MONOTONIC is system-wide on Linux, so a
receive time in this process minus that send time is the publish-to-receive latency.
"""

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PROTOCOL = "graphql-transport-ws"
TRANSCRIPT = "subscription($id: ID!) { transcript(sessionId: $id) { seq speaker text startMs endMs createdAt } }"
# The same selection through a fragment, which app/shared_streams.py does not share: every
# subscriber runs its own execution, as Strawberry does by itself. Same response bytes.
TRANSCRIPT_UNSHARED = (
    "subscription($id: ID!) { transcript(sessionId: $id) { ...Segment } } "
    "fragment Segment on TranscriptSegment { seq speaker text startMs endMs createdAt }"
)
TEXT_LENGTH = 160  # a spoken sentence or two; every message of a run has the same size


def segment_text(tag: str, index: int) -> tuple[str, int]:
    """The text of one benchmark segment stamped with the time of the call, and that time."""
    sent_ns = time.monotonic_ns()
    head = f"{tag}:{index}:{sent_ns}:"
    return head + "x" * max(TEXT_LENGTH - len(head), 0), sent_ns


@dataclass(eq=False)
class Phase:
    """What a fleet receives of one tag: per-delivery latencies and per-socket counts."""

    tag: str
    per_socket: int  # messages each socket must get
    sockets: int
    latencies_ns: list[int] = field(default_factory=list)
    counts: Counter[int] = field(default_factory=Counter)
    # Per message index: the first and the last socket's latency. A message whose first
    # receipt is already late was held up before the fan-out (request, commit, broker);
    # one whose first is early and last is late was held up in the fan-out.
    spans: dict[int, list[int]] = field(default_factory=dict)
    first_sent_ns: int | None = None
    requests_ns: list[int] = field(default_factory=list)  # the publisher's round trips
    last_received_ns: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def expected(self) -> int:
        return self.per_socket * self.sockets

    def record(self, socket_index: int, message_index: int, sent_ns: int, received_ns: int) -> None:
        latency = received_ns - sent_ns
        self.latencies_ns.append(latency)
        self.counts[socket_index] += 1
        span = self.spans.get(message_index)
        if span is None:
            self.spans[message_index] = [latency, latency]
        else:
            span[1] = latency  # receipts come in time order, so the latest is the last socket's
        self.last_received_ns = received_ns
        if len(self.latencies_ns) >= self.expected:
            self.done.set()

    def sent(self, sent_ns: int) -> None:
        if self.first_sent_ns is None or sent_ns < self.first_sent_ns:
            self.first_sent_ns = sent_ns

    def answered(self, sent_ns: int) -> None:
        self.requests_ns.append(time.monotonic_ns() - sent_ns)


class FleetError(RuntimeError):
    pass


class Fleet:
    """N sockets subscribed to the same transcript, and the phases they are measuring."""

    def __init__(self, name: str, ws_url: str, token: str, variables: dict[str, Any], *, query: str = TRANSCRIPT) -> None:
        self.name = name
        self.query = query
        self.ws_url = ws_url
        self.token = token
        self.variables = variables
        self.sockets: list[ClientConnection] = []
        self.readers: list[asyncio.Task[None]] = []
        self.phases: dict[str, Phase] = {}
        self.problems: list[str] = []  # errors, completions, drops: any is an anomaly
        self.sample: str | None = None  # one delivered message, to compare sizes

    async def open(self, count: int, *, handshakes: int, compression: bool, timeout: float = 120.0) -> None:
        """Open `count` sockets, `handshakes` at a time; each acknowledged and subscribed."""
        gate = asyncio.Semaphore(handshakes)
        subscribe = orjson.dumps(
            {"type": "subscribe", "payload": {"query": self.query, "variables": self.variables}, "id": ""}
        ).decode()

        async def one(index: int) -> ClientConnection:
            async with gate:
                socket = await connect(
                    self.ws_url,
                    subprotocols=[PROTOCOL],  # type: ignore[list-item]
                    compression="deflate" if compression else None,
                    open_timeout=30,
                    max_queue=None,  # the reader keeps up or the phase shows it; no back-pressure games
                )
                init = {"type": "connection_init", "payload": {"authorization": f"Bearer {self.token}"}}
                await socket.send(orjson.dumps(init).decode())  # text frames: the protocol refuses binary
                ack = orjson.loads(await asyncio.wait_for(socket.recv(), 30))
                if ack.get("type") != "connection_ack":
                    raise FleetError(f"{self.name}: socket {index} got {ack} instead of connection_ack")
                # A fresh operation id per socket, all of the same length (so the same message size).
                await socket.send(subscribe.replace('"id":""', f'"id":"{uuid.uuid4().hex}"'))
                return socket

        async with asyncio.timeout(timeout):
            self.sockets = list(await asyncio.gather(*(one(i) for i in range(count))))
        self.readers = [asyncio.create_task(self._read(i, s)) for i, s in enumerate(self.sockets)]

    def expect(self, tag: str, per_socket: int) -> Phase:
        phase = Phase(tag=tag, per_socket=per_socket, sockets=len(self.sockets))
        self.phases[tag] = phase
        return phase

    async def wait(self, phase: Phase, timeout: float) -> bool:
        """True once every socket got all of the phase's messages; False at the deadline."""
        try:
            async with asyncio.timeout(timeout):
                await phase.done.wait()
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        for reader in self.readers:
            reader.cancel()
        for reader in self.readers:
            with suppress(asyncio.CancelledError):
                await reader
        await asyncio.gather(*(s.close() for s in self.sockets), return_exceptions=True)

    async def _read(self, index: int, socket: ClientConnection) -> None:
        try:
            async for raw in socket:
                self._on_message(index, socket, raw)
        except ConnectionClosed as closed:
            self.problems.append(f"socket {index} closed: {closed}")

    def _on_message(self, index: int, socket: ClientConnection, raw: str | bytes) -> None:
        received_ns = time.monotonic_ns()
        message = orjson.loads(raw)
        kind = message.get("type")
        if kind == "ping":
            asyncio.get_running_loop().create_task(socket.send('{"type":"pong"}'))
            return
        if kind != "next" or message["payload"].get("errors"):
            self.problems.append(f"socket {index}: {str(raw)[:300]}")
            return
        tag, message_index, sent, _ = message["payload"]["data"]["transcript"]["text"].split(":", 3)
        phase = self.phases.get(tag)
        if phase is not None:
            phase.record(index, int(message_index), int(sent), received_ns)
        if self.sample is None:
            self.sample = raw if isinstance(raw, str) else raw.decode()


def spread(counts: Counter[int], sockets: Iterable[int]) -> tuple[int, int]:
    """The fewest and the most messages any socket got."""
    values = [counts.get(i, 0) for i in sockets]
    return (min(values), max(values)) if values else (0, 0)
