"""services.streams on its own: gaps, duplicates and resyncs resolved from the database."""

import asyncio

import pytest

from models import Role, Speaker
from models.db import Database, create_database
from services import applications, sessions, transcript
from services.auth import Actor
from services.channels import transcript_channel
from services.live import LiveHub
from services.streams import transcript_stream
from services.uow import Runtime, unit_of_work
from tests.conftest import create_org
from tests.support.seed import seed_template


@pytest.fixture
async def db(sqlite_url: str) -> Database:
    database = create_database(sqlite_url)
    yield database  # type: ignore[misc]
    await database.dispose()


async def _session(runtime: Runtime, admin: Actor, template_pk: int) -> int:
    async with unit_of_work(runtime) as uow:
        app = await applications.add_participant(uow, admin, template_id=template_pk, name="G", email="g@x.io")
        session = await sessions.schedule(uow, admin, b"k", application_id=app.id or 0, stage_id=None, scheduled_for=None)
        await sessions.start(uow, admin, session.id or 0)
    assert session.id is not None
    return session.id


async def _append(runtime: Runtime, admin: Actor, session_id: int, *texts: str) -> None:
    async with unit_of_work(runtime) as uow:
        await transcript.append_transcript(uow, admin, session_id, [transcript.SegmentInput(Speaker.AI, t) for t in texts])


async def test_lost_and_repeated_messages_are_mended_from_the_database(db: Database, sqlite_url: str) -> None:
    org = await create_org(sqlite_url)
    admin = Actor(organization_id=org.id, role=Role.ADMIN)
    heard, deaf = LiveHub("memory://"), LiveHub("memory://")
    await heard.connect()
    await deaf.connect()
    try:
        # Writes through `deaf` commit but their messages never reach the subscriber's hub:
        # exactly what a lost message looks like.
        loud = Runtime(database=db, live=heard, join_secret=b"k", public_base_url="https://x")
        quiet = Runtime(database=db, live=deaf, join_secret=b"k", public_base_url="https://x")
        session_id = await _session(loud, admin, await seed_template(db, org.id, applications_count=0))
        await _append(loud, admin, session_id, "1", "2")

        stream = transcript_stream(heard, db, session_id, 0)
        got = [(await anext(stream))["seq"] for _ in range(2)]
        await _append(quiet, admin, session_id, "3", "4")  # lost
        await _append(loud, admin, session_id, "5")  # arrives: seq 5 > 3 is a gap
        got += [(await anext(stream))["seq"] for _ in range(3)]
        # A repeated message (seq already sent) is skipped.
        async with unit_of_work(loud) as uow:
            uow.publish_after_commit(transcript_channel(session_id), '{"kind": "item", "seq": 2}')
        await _append(quiet, admin, session_id, "6")  # lost; then the session ends, and
        async with unit_of_work(loud) as uow:  # the stream drains the database before completing
            await sessions.complete(uow, admin, session_id, None)
        got.append((await asyncio.wait_for(anext(stream), 5))["seq"])
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(anext(stream), 5)
        assert got == [1, 2, 3, 4, 5, 6]
    finally:
        await heard.disconnect()
        await deaf.disconnect()
