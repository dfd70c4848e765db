"""Publishers of the fan-out benchmark: one HTTP request per message, to the API or the floor.

The API gets an appendTranscript mutation per segment; the floor gets a POST of the "next"
payload the API would send for that segment (same keys, same text, same size). Each
request is stamped (in the text) just before it is sent.
"""

import asyncio
import itertools
import time
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
import orjson

from bench.fanout_client import Phase, segment_text

APPEND = """mutation($id: ID!, $segments: [TranscriptSegmentInput!]!) {
  appendTranscript(sessionId: $id, segments: $segments) { segments { seq } userErrors { code message } }
}"""


class PublishError(RuntimeError):
    pass


class Target(Protocol):
    async def publish(self, phase: Phase, index: int) -> None: ...


def _timing(index: int) -> tuple[int, int]:
    return index * 1000, index * 1000 + 900


class ApiTarget:
    """appendTranscript over HTTP, one segment per call, as the AI interviewer sends them."""

    def __init__(self, http: httpx.AsyncClient, token: str, session_id: str) -> None:
        self.http = http
        self.headers = {"authorization": f"Bearer {token}"}
        self.session_id = session_id

    async def publish(self, phase: Phase, index: int) -> None:
        text, sent_ns = segment_text(phase.tag, index)
        start_ms, end_ms = _timing(index)
        segment = {"speaker": "AI", "text": text, "startMs": start_ms, "endMs": end_ms}
        phase.sent(sent_ns)
        response = await self.http.post(
            "/graphql",
            json={"query": APPEND, "variables": {"id": self.session_id, "segments": [segment]}},
            headers=self.headers,
        )
        phase.answered(sent_ns)
        body: dict[str, Any] = response.json()
        if response.status_code != 200 or body.get("errors") or body["data"]["appendTranscript"]["userErrors"]:
            raise PublishError(f"appendTranscript failed: {response.status_code} {response.text[:500]}")


class FloorTarget:
    """POST /publish with the payload of the "next" message the API would send."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.seq = itertools.count(1)

    async def publish(self, phase: Phase, index: int) -> None:
        text, sent_ns = segment_text(phase.tag, index)
        start_ms, end_ms = _timing(index)
        segment = {
            "seq": next(self.seq),
            "speaker": "AI",
            "text": text,
            "startMs": start_ms,
            "endMs": end_ms,
            "createdAt": datetime.now(UTC).isoformat(),  # the API's DateTime: isoformat, UTC
        }
        phase.sent(sent_ns)
        response = await self.http.post("/publish", content=orjson.dumps({"data": {"transcript": segment}}))
        phase.answered(sent_ns)
        if response.status_code != 204:
            raise PublishError(f"floor publish failed: {response.status_code} {response.text[:500]}")


async def steady(target: Target, phase: Phase, count: int, rate: float) -> None:
    """`count` messages at `rate` per second, on a fixed schedule (no drift when a call is slow)."""
    start = time.monotonic()
    for index in range(count):
        delay = start + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing, not synchronisation
        await target.publish(phase, index)


async def burst(target: Target, phase: Phase, count: int, concurrency: int) -> None:
    """`count` messages as fast as the server takes them, `concurrency` requests in flight."""
    indexes = iter(range(count))

    async def worker() -> None:
        for index in indexes:  # shared iterator: each index is taken by one worker
            await target.publish(phase, index)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
