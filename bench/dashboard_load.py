"""A small closed-loop HTTP/1.1 load generator on raw asyncio streams.

A fixed number of keep-alive connections each send a request, read the whole answer,
and send the next. Requests are encoded once up front and answers are parsed only as far
as the status line and length, so the client spends about 0.05 ms of CPU per request:
httpx.AsyncClient spent 1.25 ms, filled a core at ~770 req/s and so capped the floor,
which would have flattered the ratio. Throughput counts the answers completed inside the
window; latency is measured from writing the request to reading the last byte of the answer.
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# An answer is an error when it is not a 200 or carries GraphQL errors.
_ERRORS_KEY = b'"errors"'


@dataclass
class Window:
    """What one measured window saw."""

    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, of answers completed in the window
    errors: int = 0
    response_bytes: int = 0
    server_cpu: float = 0.0  # CPU seconds the server process used during the window
    client_cpu: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)


def encode_requests(host: str, port: int, token: str, bodies: Sequence[bytes]) -> list[bytes]:
    return [
        (
            f"POST /graphql HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json\r\nAuthorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        + body
        for body in bodies
    ]


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    body = await _read_chunked(reader) if chunked else await reader.readexactly(length)
    return status, body


@dataclass
class _Clock:
    start: float
    end: float


async def _connection(host: str, port: int, requests: list[bytes], offset: int, clock: _Clock, window: Window) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    index = offset
    try:
        while (sent := time.perf_counter()) < clock.end:
            writer.write(requests[index % len(requests)])
            index += 1
            status, body = await read_response(reader)
            done = time.perf_counter()
            if clock.start <= done <= clock.end:
                window.latencies.append(done - sent)
                window.response_bytes += len(body)
                if status != 200 or _ERRORS_KEY in body:
                    window.errors += 1
    finally:
        writer.close()
        await writer.wait_closed()


async def _sample_cpu(clock: _Clock, window: Window, server_cpu: Callable[[], float]) -> None:
    await asyncio.sleep(max(0.0, clock.start - time.perf_counter()))
    server, client = server_cpu(), time.process_time()
    await asyncio.sleep(max(0.0, clock.end - time.perf_counter()))
    window.server_cpu = server_cpu() - server
    window.client_cpu = time.process_time() - client


async def measure(
    url: str,
    token: str,
    bodies: Sequence[bytes],
    *,
    concurrency: int,
    warmup: float,
    duration: float,
    server_cpu: Callable[[], float],
) -> Window:
    """Load `url` with `concurrency` connections for warmup + duration seconds; report the last `duration`."""
    host, _, port = url.removeprefix("http://").partition(":")
    requests = encode_requests(host, int(port), token, bodies)
    now = time.perf_counter()
    clock = _Clock(start=now + warmup, end=now + warmup + duration)
    window = Window(seconds=duration)
    # Connections start at different bodies, so a rotation is spread across them.
    step = max(1, len(requests) // concurrency)
    await asyncio.gather(
        _sample_cpu(clock, window, server_cpu),
        *(_connection(host, int(port), requests, i * step, clock, window) for i in range(concurrency)),
    )
    return window


__all__ = ["Window", "encode_requests", "measure", "read_response"]
