"""Shared fixtures: databases (SQLite file per test, a PostgreSQL database per run), the
real app served over HTTP and WebSocket, organizations with keys of each role."""

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlmodel import SQLModel

import models  # noqa: F401
from app.settings import Settings
from models import Role
from models.db import Database, create_database
from models.migrate import upgrade
from services import auth
from tests.support.server import Api, serve
from tests.support.services import POSTGRES_URL, unavailable, with_database


# --- databases ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating per test would be slow)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "interview.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


async def _pg_admin(url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError) as error:
        unavailable(f"PostgreSQL of TEST_POSTGRES_URL is unreachable ({error})")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A database of our own for this run on the machine's PostgreSQL, migrated once."""
    name = f"interview_test_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        conn = await _pg_admin(POSTGRES_URL)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    async def drop() -> None:
        conn = await _pg_admin(POSTGRES_URL)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(create())
    url = with_database(POSTGRES_URL, name)
    upgrade(url)
    yield url
    asyncio.run(drop())


@pytest.fixture
async def postgres_url(postgres_server: str) -> str:
    """The run's PostgreSQL database, emptied for this test."""
    conn = await asyncpg.connect(postgres_server)
    try:
        tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
    return postgres_server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs on both databases."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = create_database(database_url)
    yield db
    await db.dispose()


# --- the app ----------------------------------------------------------------------------------


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "broadcast_url": "memory://",
        "public_base_url": "https://interviews.example.com",
        "migrate_on_start": False,
        "secret_key": "test-secret",
        "webhook_allow_private_urls": True,
        "ws_ping_interval": 5.0,
        "ws_ping_timeout": 5.0,
        # Many servers start in one test process; frozen garbage would never be freed.
        "gc_freeze_after_startup": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    """The real app on both databases (memory broadcast), over real HTTP and WebSocket."""
    async with serve(make_settings(database_url)) as running:
        yield running


@pytest.fixture
async def sqlite_api(sqlite_url: str) -> AsyncIterator[Api]:
    """The real app on SQLite only, for tests whose subject is not the database."""
    async with serve(make_settings(sqlite_url)) as running:
        yield running


class Org:
    """An organization with one token per role."""

    def __init__(self, organization_id: int, tokens: dict[Role, str]) -> None:
        self.id = organization_id
        self.tokens = tokens

    @property
    def admin(self) -> str:
        return self.tokens[Role.ADMIN]

    def __getitem__(self, role: Role) -> str:
        return self.tokens[role]


async def create_org(database_url: str, name: str = "Acme") -> Org:
    db = create_database(database_url, pool_size=1)
    try:
        async with db.writer() as session, session.begin():
            organization, admin = await auth.create_organization(session, name)
            assert organization.id is not None
            tokens = {Role.ADMIN: admin}
            for role in (Role.RECRUITER, Role.AGENT, Role.SCORER, Role.VIEWER):
                _, tokens[role] = await auth.create_api_key(session, organization.id, role.value.lower(), role)
        return Org(organization.id, tokens)
    finally:
        await db.dispose()


@pytest.fixture
async def org(api: Api) -> Org:
    return await create_org(api.settings.database_url)


@pytest.fixture
async def sqlite_org(sqlite_api: Api) -> Org:
    return await create_org(sqlite_api.settings.database_url)
