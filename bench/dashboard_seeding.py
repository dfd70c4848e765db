"""A PostgreSQL database of its own for the benchmark, seeded in bulk and reused across runs.

The database keeps a note of what it holds (COMMENT ON DATABASE, as JSON): the dataset's
fingerprint (its shape, this module's version, the migrations' text), the admin token and
the template. A later run reuses it when the fingerprint still matches, so seeding is paid
once; `--reseed`, another shape or a changed migration starts from an empty database.
"""

import asyncio
import hashlib
import json
import time
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg

from bench.dashboard_dataset import (
    COLUMNS,
    TABLE_ORDER,
    Rows,
    Scope,
    Shape,
    StageRef,
    generate,
)
from models.db import create_database
from models.migrate import MIGRATIONS_DIR, upgrade
from services import server_secrets
from services.auth import create_organization

# Bump when the generated rows change meaning, so old databases are not reused.
DATASET_VERSION = 2
STAGES = (("Screening", 50.0), ("Technical", 60.0), ("Final", 70.0))


@dataclass(frozen=True)
class Seeded:
    """A ready database: where it is, how to call the API on it, and what it holds."""

    url: str
    token: str
    organization_id: int
    template_id: int
    counts: dict[str, int]
    rollups: dict[str, int]
    seconds: float | None  # seeding time of this run; None when an existing database was reused

    def meta(self, fingerprint: str) -> dict[str, Any]:
        note = asdict(self)
        del note["url"], note["seconds"]
        return {**note, "fingerprint": fingerprint, "seeding_seconds": self.seconds}


def fingerprint(shape: Shape) -> str:
    digest = hashlib.sha256(json.dumps({"version": DATASET_VERSION, "shape": asdict(shape)}, sort_keys=True).encode())
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def database_url(server_url: str, name: str) -> str:
    return f"{server_url.rstrip('/')}/{name}"


async def _note(server_url: str, name: str) -> dict[str, Any] | None:
    """The JSON note on database `name`, or None when it is missing or unreadable."""
    admin = await asyncpg.connect(database_url(server_url, "postgres"))
    try:
        note = await admin.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name
        )
    finally:
        await admin.close()
    try:
        return json.loads(note) if note else None
    except json.JSONDecodeError:
        return None


async def _recreate(server_url: str, name: str) -> None:
    admin = await asyncpg.connect(database_url(server_url, "postgres"))
    try:
        # FORCE: a server left over from an interrupted run may still hold connections.
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _application_count(url: str, template_id: int) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM application WHERE template_id = $1", template_id))
    finally:
        await conn.close()


async def _organization(url: str) -> tuple[int, str, bytes]:
    """Through the services: the organization, its ADMIN token and the join-token secret."""
    database = create_database(url, pool_size=1)
    try:
        async with database.writer() as db, db.begin():
            organization, token = await create_organization(db, "Bench")
        # The secret the API will use, so the stored join-token hashes are the real ones.
        secret = await server_secrets.get_or_create(database, "join_token_key")
    finally:
        await database.dispose()
    assert organization.id is not None
    return organization.id, token, secret.encode()


async def _template(conn: asyncpg.Connection, organization_id: int) -> tuple[int, tuple[StageRef, ...]]:
    template_id = await conn.fetchval(
        "INSERT INTO template (organization_id, name, slug, public_apply, require_approval, created_at)"
        " VALUES ($1, 'Backend engineer', 'bench-backend-engineer', true, false, now()) RETURNING id",
        organization_id,
    )
    stages = []
    for position, (stage_name, threshold) in enumerate(STAGES, start=1):
        stage_id = await conn.fetchval(
            "INSERT INTO stage (template_id, position, name, pass_threshold) VALUES ($1, $2, $3, $4) RETURNING id",
            template_id, position, stage_name, threshold,
        )
        stages.append(StageRef(stage_id, position, threshold))
    return template_id, tuple(stages)


async def _first_ids(conn: asyncpg.Connection) -> dict[str, int]:
    return {table: int(await conn.fetchval(f'SELECT coalesce(max(id), 0) + 1 FROM "{table}"')) for table in TABLE_ORDER}


async def _copy(conn: asyncpg.Connection, rows: Rows) -> None:
    async with conn.transaction():
        for table in TABLE_ORDER:
            await conn.copy_records_to_table(table, records=rows.tables[table], columns=list(COLUMNS[table]))
        # The ids were given explicitly, so the sequences must be moved past them.
        for table in TABLE_ORDER:
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))"
            )
    await conn.execute("ANALYZE")


async def _seed(server_url: str, name: str, shape: Shape, print_step: Any) -> Seeded:
    started = time.perf_counter()
    url = database_url(server_url, name)
    await _recreate(server_url, name)
    await asyncio.to_thread(upgrade, url)  # alembic runs its own event loop
    organization_id, token, secret = await _organization(url)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET synchronous_commit = off")
        template_id, stages = await _template(conn, organization_id)
        print_step(f"migrated and created the organization in {time.perf_counter() - started:.1f}s")
        generated = time.perf_counter()
        rows = generate(shape, Scope(organization_id, template_id, stages, secret), await _first_ids(conn))
        print_step(f"generated the rows in {time.perf_counter() - generated:.1f}s")
        copied = time.perf_counter()
        await _copy(conn, rows)
        print_step(f"copied them in {time.perf_counter() - copied:.1f}s")
    finally:
        await conn.close()
    return Seeded(
        url=url,
        token=token,
        organization_id=organization_id,
        template_id=template_id,
        counts={table: len(records) for table, records in rows.tables.items()},
        rollups=dict(rows.rollups.most_common()),
        seconds=round(time.perf_counter() - started, 2),
    )


async def _write_note(server_url: str, name: str, note: dict[str, Any]) -> None:
    admin = await asyncpg.connect(database_url(server_url, "postgres"))
    try:
        literal = json.dumps(note).replace("'", "''")  # COMMENT takes no bind parameters
        await admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{literal}'")
    finally:
        await admin.close()


async def _reusable(url: str, note: dict[str, Any] | None, expected: str, shape: Shape) -> bool:
    """The note is of this dataset, and its rows are still there."""
    if note is None or note.get("fingerprint") != expected:
        return False
    return await _application_count(url, note["template_id"]) == shape.applications


async def ensure_seeded(server_url: str, name: str, shape: Shape, *, reseed: bool, print_step: Any = print) -> Seeded:
    """The seeded database `name` on `server_url`, reused when it already holds this dataset."""
    expected = fingerprint(shape)
    note = None if reseed else await _note(server_url, name)
    url = database_url(server_url, name)
    if note is not None and await _reusable(url, note, expected, shape):
        print_step(f"reusing database {name} (seeded in {note.get('seeding_seconds')}s; --reseed to redo)")
        return Seeded(
            url=url, token=note["token"], organization_id=note["organization_id"],
            template_id=note["template_id"], counts=note["counts"], rollups=note["rollups"], seconds=None,
        )
    print_step(f"seeding database {name} ({shape.applications} applications)")
    seeded = await _seed(server_url, name, shape, print_step)
    await _write_note(server_url, name, seeded.meta(expected))
    print_step(f"seeded in {seeded.seconds:.1f}s: {seeded.counts}")
    return seeded


__all__ = ["STAGES", "Seeded", "database_url", "ensure_seeded", "fingerprint"]
