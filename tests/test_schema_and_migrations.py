"""The exported schema, the public contract, and migrations that match the models."""

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from schema.schema import schema

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT.parent / "shared" / "tools" / "check_contract.py"


def test_schema_file_is_up_to_date() -> None:
    exported = schema.as_str() + "\n"
    assert (ROOT / "schema.graphql").read_text() == exported, "schema.graphql is stale: run `make schema`"


def test_the_public_contract_is_kept() -> None:
    if not CHECKER.exists():
        pytest.skip(f"{CHECKER} is absent (no ../shared beside this checkout)")
    result = subprocess.run([sys.executable, str(CHECKER), str(ROOT / "schema.graphql")], capture_output=True, text=True)
    assert "contract kept" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migrations_build_exactly_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    """Autogenerate against a migrated database finds nothing to do."""
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    url = request.getfixturevalue("sqlite_template" if backend == "sqlite" else "postgres_server")
    url = f"sqlite+aiosqlite:///{url}" if backend == "sqlite" else str(url).replace("postgresql://", "postgresql+asyncpg://")

    async def diff() -> list[object]:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), SQLModel.metadata)
                )
        finally:
            await engine.dispose()

    assert asyncio.run(diff()) == []


