"""A demo organization for `make run`: one template of three stages, applications in
several states, so that GraphiQL shows something real at once."""

import logging
import secrets

from sqlalchemy import select

from app.settings import Settings
from models import Role, Speaker, Template
from models.db import create_database
from services import applications, auth, scoring, server_secrets, sessions, templates, transcript
from services.auth import Actor
from services.live import LiveHub
from services.uow import Runtime, unit_of_work

logger = logging.getLogger("interview_api.demo")

DEMO_CANDIDATES = [
    ("Ada Lovelace", "ada@example.com"),
    ("Alan Turing", "alan@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Edsger Dijkstra", "edsger@example.com"),
    ("Barbara Liskov", "barbara@example.com"),
    ("Donald Knuth", "donald@example.com"),
]


async def _organization(runtime: Runtime, settings: Settings) -> tuple[int, str]:
    """The bootstrap admin's organization when a token is configured, else a new one."""
    async with unit_of_work(runtime) as uow:
        if settings.bootstrap_admin_token:
            actor = await auth.authenticate(uow.db, settings.bootstrap_admin_token)
            assert actor is not None, "prepare_database creates the bootstrap key first"
            return actor.organization_id, settings.bootstrap_admin_token
        organization, token = await auth.create_organization(uow.db, "Demo")
        assert organization.id is not None
        return organization.id, token


async def seed_demo(settings: Settings) -> None:
    database = create_database(settings.database_url, pool_size=2)
    live = LiveHub("memory://")
    await live.connect()
    try:
        secret = settings.secret_key or await server_secrets.get_or_create(database, "join_token_key")
        runtime = Runtime(database=database, live=live, join_secret=secret.encode(), public_base_url=settings.public_base_url)
        org_id, token = await _organization(runtime, settings)
        async with database.read() as db:
            seeded = await db.scalar(select(Template.id).where(Template.organization_id == org_id).limit(1))
        if seeded is None:
            await _seed(runtime, Actor(organization_id=org_id, role=Role.ADMIN), secret.encode())
        print("\n  GraphiQL:  " + settings.public_base_url.rstrip("/") + "/graphql")
        print('  Headers:   {"Authorization": "Bearer ' + token + '"}\n', flush=True)
    finally:
        await live.disconnect()
        await database.dispose()


async def _seed(runtime: Runtime, admin: Actor, secret: bytes) -> None:
    async with unit_of_work(runtime) as uow:
        template = await templates.create_template(
            uow,
            admin,
            name="Backend Engineer",
            slug=f"backend-engineer-{secrets.token_hex(3)}",
            stages=[
                templates.StageInput("Screening", 60),
                templates.StageInput("Technical interview", 70),
                templates.StageInput("Culture and values", 65),
            ],
            public_apply=True,
        )
        assert template.id is not None
        apps = [
            await applications.add_participant(uow, admin, template_id=template.id, name=name, email=email)
            for name, email in DEMO_CANDIDATES
        ]
    ids = [a.id for a in apps]

    async def step(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        async with unit_of_work(runtime) as uow:
            return await fn(uow, admin, *args, **kwargs)

    async def schedule(app_id: int):  # type: ignore[no-untyped-def]
        return await step(sessions.schedule, secret, application_id=app_id, stage_id=None, scheduled_for=None)

    async def interview(app_id: int, score: float | None):  # type: ignore[no-untyped-def]
        session = await schedule(app_id)
        await step(sessions.start, session.id)
        await step(
            transcript.append_transcript,
            session.id,
            [
                transcript.SegmentInput(Speaker.AI, "Hello! Could you tell me about a system you designed?", 0, 4000),
                transcript.SegmentInput(Speaker.CANDIDATE, "Sure, I built an event-sourced billing service.", 4500, 9000),
            ],
        )
        await step(sessions.complete, session.id, None)
        if score is not None:
            await step(
                scoring.submit_scorecard,
                secret,
                session_id=session.id,
                criteria=[scoring.CriterionInput("Depth", score), scoring.CriterionInput("Communication", score)],
                summary="Demo scorecard",
            )
        return session

    # Ada: not scheduled yet. Alan: scheduled. Grace: in progress.
    await schedule(ids[1])
    grace = await schedule(ids[2])
    await step(sessions.start, grace.id)
    # Edsger: passed screening, so the technical interview is scheduled automatically.
    await interview(ids[3], 85)
    # Barbara: first attempt failed, the retry is awaiting its score.
    first = await schedule(ids[4])
    await step(sessions.start, first.id)
    await step(sessions.fail, first.id, "candidate's connection dropped")
    await interview(ids[4], None)
    # Donald: did not pass screening.
    await interview(ids[5], 40)
    logger.info("demo data seeded")
