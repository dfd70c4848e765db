"""Gapless, resumable live streams of a session's items (transcript segments, signals).

Order of work, so that nothing is missed and nothing is sent twice:
1. subscribe to the live channel (what is published from now on is queued for us);
2. read from the database what is stored after the client's last seq;
3. yield live messages, skipping seqs already sent; a seq beyond the next expected one,
   a backend reconnect (RESYNC) or the "closed" message sends us back to step 2.
The stream ends once the session is terminal and everything stored was sent: the status
is read before the items, and a terminal session accepts no more items, so that read
has everything.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.db import Database
from services import reads
from services.channels import loads, segment_dict, signal_dict, signals_channel, transcript_channel
from services.live import RESYNC, LiveHub

READ_BATCH = 500

Loader = Callable[[AsyncSession, int, int], Awaitable[list[dict[str, Any]]]]


async def _stored_segments(db: AsyncSession, session_id: int, after_seq: int) -> list[dict[str, Any]]:
    return [segment_dict(row) for row in await reads.transcript(db, session_id, after_seq=after_seq, limit=READ_BATCH)]


async def _stored_signals(db: AsyncSession, session_id: int, after_seq: int) -> list[dict[str, Any]]:
    return [signal_dict(row) for row in await reads.signals(db, session_id, after_seq=after_seq, limit=READ_BATCH)]


async def _gapless(
    hub: LiveHub, database: Database, *, channel: str, session_id: int, after_seq: int, stored: Loader
) -> AsyncIterator[dict[str, Any]]:
    last = max(after_seq, 0)
    async with hub.subscribe(channel) as live:
        while True:
            # Catch up from the record.
            async with database.read() as db:
                status = await reads.session_status(db, session_id)
            terminal = status is None or status.is_terminal
            while True:
                async with database.read() as db:
                    items = await stored(db, session_id, last)
                for item in items:
                    last = item["seq"]
                    yield item
                if len(items) < READ_BATCH:
                    break
            if terminal:
                return
            # Then follow the live channel until it tells us to look at the record again.
            async for message in live:
                if message is RESYNC:
                    break
                data = loads(message)
                if data["kind"] == "closed":
                    break
                seq = data["seq"]
                if seq <= last:
                    continue  # already sent (replayed from the database)
                if seq > last + 1:
                    break  # a gap: what is missing is in the database
                last = seq
                yield data


def transcript_stream(hub: LiveHub, database: Database, session_id: int, after_seq: int) -> AsyncIterator[dict[str, Any]]:
    return _gapless(
        hub, database, channel=transcript_channel(session_id), session_id=session_id, after_seq=after_seq,
        stored=_stored_segments,
    )


def signal_stream(hub: LiveHub, database: Database, session_id: int, after_seq: int) -> AsyncIterator[dict[str, Any]]:
    return _gapless(
        hub, database, channel=signals_channel(session_id), session_id=session_id, after_seq=after_seq,
        stored=_stored_signals,
    )
