"""Races, with real concurrent transactions on PostgreSQL (and SQLite's single writer)."""

import asyncio

import pytest

from tests.conftest import Org
from tests.support import flows
from tests.support.server import Api


async def test_concurrent_starts_exactly_one_wins(api: Api, org: Org) -> None:
    template = await flows.create_template(api, org.admin)
    for i in range(5):
        application = await flows.add_participant(api, org.admin, template["id"], f"race{i}@example.com")
        session = await flows.schedule(api, org.admin, application["id"])
        results = await asyncio.gather(*(api.ok(flows.START, {"id": session["id"]}, token=org.admin) for _ in range(6)))
        winners = [r for r in results if not r["startSession"]["userErrors"]]
        losers = [r["startSession"]["userErrors"][0]["code"] for r in results if r["startSession"]["userErrors"]]
        assert len(winners) == 1
        assert losers == ["INVALID_TRANSITION"] * 5
        events = await api.ok("query($id: ID!) { session(id: $id) { events { type sequence } } }", {"id": session["id"]}, token=org.admin)
        assert events["session"]["events"] == [{"type": "SESSION_CREATED", "sequence": 1}, {"type": "SESSION_STARTED", "sequence": 2}]


async def test_concurrent_scheduling_leaves_one_open_session(api: Api, org: Org) -> None:
    template = await flows.create_template(api, org.admin)
    application = await flows.add_participant(api, org.admin, template["id"], "sched@example.com")
    results = await asyncio.gather(
        *(api.ok(flows.SCHEDULE, {"input": {"applicationId": application["id"]}}, token=org.admin) for _ in range(8))
    )
    created = [r for r in results if r["scheduleSession"]["session"]]
    codes = [r["scheduleSession"]["userErrors"][0]["code"] for r in results if r["scheduleSession"]["userErrors"]]
    assert len(created) == 1 and codes == ["CONFLICT"] * 7
    data = await api.ok("query($id: ID!) { application(id: $id) { sessions { totalCount } } }", {"id": application["id"]}, token=org.admin)
    assert data["application"]["sessions"]["totalCount"] == 1


async def test_concurrent_appends_get_gapless_seqs(api: Api, org: Org) -> None:
    _, _, session = await flows.application_with_session(api, org.admin)
    await flows.mutate(api, flows.START, {"id": session["id"]}, org.admin)
    batches = [[{"speaker": "AI", "text": f"b{b}-{i}"} for i in range(3)] for b in range(20)]
    results = await asyncio.gather(
        *(api.ok(flows.APPEND, {"id": session["id"], "segments": batch}, token=org.admin) for batch in batches)
    )
    seqs = sorted(s["seq"] for r in results for s in r["appendTranscript"]["segments"])
    assert seqs == list(range(1, 61))
    # Each call's segments are consecutive and keep their order.
    for r in results:
        got = r["appendTranscript"]["segments"]
        assert [s["seq"] for s in got] == list(range(got[0]["seq"], got[0]["seq"] + 3))
        assert [s["text"].split("-")[1] for s in got] == ["0", "1", "2"]


@pytest.mark.postgres
async def test_start_race_on_postgres_with_separate_connections(postgres_url: str) -> None:
    """Below the API: two transactions on two connections lock the same row."""
    from models import Role
    from models.db import create_database
    from services import sessions
    from services.auth import Actor
    from services.errors import DomainError
    from services.live import LiveHub
    from services.uow import Runtime, unit_of_work
    from tests.conftest import create_org
    from tests.support.seed import seed_template

    org = await create_org(postgres_url)
    database = create_database(postgres_url)
    live = LiveHub("memory://")
    await live.connect()
    try:
        template_pk = await seed_template(database, org.id, applications_count=0)
        runtime = Runtime(database=database, live=live, join_secret=b"k", public_base_url="https://x")
        admin = Actor(organization_id=org.id, role=Role.ADMIN)
        from services import applications

        async with unit_of_work(runtime) as uow:
            app = await applications.add_participant(uow, admin, template_id=template_pk, name="R", email="r@x.io")
            session = await sessions.schedule(uow, admin, b"k", application_id=app.id or 0, stage_id=None, scheduled_for=None)

        async def start() -> str:
            try:
                async with unit_of_work(runtime) as uow:
                    await sessions.start(uow, admin, session.id or 0)
                return "won"
            except DomainError as error:
                return error.problems[0].code.value

        assert sorted(await asyncio.gather(*(start() for _ in range(10)))) == ["INVALID_TRANSITION"] * 9 + ["won"]
    finally:
        await live.disconnect()
        await database.dispose()


async def test_the_same_person_added_concurrently_becomes_one_participant(api: Api, org: Org) -> None:
    templates = [await flows.create_template(api, org.admin) for _ in range(6)]
    results = await asyncio.gather(
        *(
            api.ok(flows.ADD_PARTICIPANT, {"input": {"templateId": t["id"], "name": "Twin", "email": "twin@example.com"}}, token=org.admin)
            for t in templates
        )
    )
    participants = {r["addParticipant"]["application"]["participant"]["id"] for r in results}
    assert [r["addParticipant"]["userErrors"] for r in results] == [[]] * 6
    assert len(participants) == 1
