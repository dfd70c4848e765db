"""Seeding realistic data quickly through the services (not GraphQL), for read-path tests."""

import random

from models import Role, Speaker
from models.db import Database
from services import applications, scoring, sessions, templates, transcript
from services.auth import Actor
from services.live import LiveHub
from services.uow import Runtime, unit_of_work


async def seed_template(database: Database, organization_id: int, *, applications_count: int, seed: int = 7) -> int:
    """A three-stage template with `applications_count` applications in assorted states,
    with retries and auto-scheduled next stages. Returns the template's primary key."""
    rng = random.Random(seed)
    live = LiveHub("memory://")
    await live.connect()
    runtime = Runtime(database=database, live=live, join_secret=b"seed", public_base_url="https://x.example")
    admin = Actor(organization_id=organization_id, role=Role.ADMIN)
    try:
        async with unit_of_work(runtime) as uow:
            template = await templates.create_template(
                uow, admin, name="Seeded", slug=None,
                stages=[templates.StageInput("One", 50), templates.StageInput("Two", 60), templates.StageInput("Three", 70)],
            )
            apps = [
                await applications.add_participant(uow, admin, template_id=template.id or 0, name=f"P{i}", email=f"p{i}@seed.example")
                for i in range(applications_count)
            ]
        for app in apps:
            async with unit_of_work(runtime) as uow:
                await _history(uow, admin, app.id or 0, rng)
        assert template.id is not None
        return template.id
    finally:
        await live.disconnect()


async def _history(uow, admin: Actor, application_id: int, rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    """A plausible history in one transaction: some sessions, failures, retries, scores."""
    for _ in range(rng.randint(0, 4)):
        session = await sessions.schedule(uow, admin, b"seed", application_id=application_id, stage_id=None, scheduled_for=None)
        outcome = rng.random()
        if outcome < 0.15:
            return  # stays SCHEDULED
        if outcome < 0.25:
            await sessions.cancel(uow, admin, session.id or 0, "moved")
            continue
        await sessions.start(uow, admin, session.id or 0)
        await transcript.append_transcript(
            uow, admin, session.id or 0, [transcript.SegmentInput(Speaker.AI, f"line {i}") for i in range(3)]
        )
        if outcome < 0.35:
            return  # IN_PROGRESS
        if outcome < 0.5:
            await sessions.fail(uow, admin, session.id or 0, "dropped")
            continue
        await sessions.complete(uow, admin, session.id or 0, None)
        if outcome < 0.6:
            return  # awaiting score
        await scoring.submit_scorecard(
            uow, admin, b"seed", session_id=session.id or 0,
            criteria=[scoring.CriterionInput("Depth", rng.uniform(30, 100))], summary=None,
        )
        # A PASS schedules the next stage itself; continue the loop to run it (or stop on FAIL).
        return
