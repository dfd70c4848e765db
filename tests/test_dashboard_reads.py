"""The dashboard's read path: no N+1, and answers that agree with the data."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

from models.db import create_database
from services.ids import to_global_id
from tests.conftest import Org, create_org, make_settings
from tests.support.seed import seed_template
from tests.support.server import Api, serve

DASHBOARD = """
query Dashboard($id: ID!, $first: Int!) {
  template(id: $id) {
    name
    stages { id position name passThreshold }
    applications(first: $first) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        id hrStatus createdAt
        participant { id name email }
        sessions(first: 20) { edges { node { id status attempt createdAt stage { id position name } } } }
        latestSessionPerStage { stage { position } session { id status attempt } }
        rollup { status stage { position } }
      } }
    }
  }
}"""


@contextmanager
def count_statements() -> Iterator[list[str]]:
    """Every SQL statement run by any engine of this process (the app runs in-process)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


async def test_statement_count_does_not_grow_with_the_page(database_url: str) -> None:
    org = await create_org(database_url)
    database = create_database(database_url)
    try:
        template_pk = await seed_template(database, org.id, applications_count=60)
    finally:
        await database.dispose()
    template_id = to_global_id("Template", template_pk)

    # No background work in this process while statements are counted.
    async with serve(make_settings(database_url, embedded_webhook_dispatcher=False)) as api:
        counts = await _dashboard_statements(api, org, template_id)
    assert counts[10] == counts[50], counts
    assert counts[50] <= 7, counts
    print(f"\nSQL statements for the dashboard query: first=10 -> {counts[10]}, first=50 -> {counts[50]}")


async def _dashboard_statements(api: Api, org: Org, template_id: str) -> dict[int, int]:
    counts = {}
    for first in (10, 50):
        await api.ok(DASHBOARD, {"id": template_id, "first": first}, token=org.admin)  # warm the auth cache
        with count_statements() as statements:
            data = await api.ok(DASHBOARD, {"id": template_id, "first": first}, token=org.admin)
        assert len(data["template"]["applications"]["edges"]) == first
        # SQLite's explicit BEGINs are not queries; count what reads data.
        counts[first] = len([s for s in statements if not s.startswith("BEGIN")])
    return counts


async def test_latest_per_stage_and_rollup_agree_with_the_sessions(api: Api, org: Org) -> None:
    database = create_database(api.settings.database_url)
    try:
        template_pk = await seed_template(database, org.id, applications_count=25, seed=11)
    finally:
        await database.dispose()
    data = await api.ok(DASHBOARD, {"id": to_global_id("Template", template_pk), "first": 25}, token=org.admin)
    statuses = set()
    for edge in data["template"]["applications"]["edges"]:
        node = edge["node"]
        sessions = [e["node"] for e in node["sessions"]["edges"]]  # newest first
        for entry in node["latestSessionPerStage"]:
            of_stage = [s for s in sessions if s["stage"]["position"] == entry["stage"]["position"]]
            expected = of_stage[0]["id"] if of_stage else None
            assert (entry["session"] or {}).get("id") == expected
        furthest = [e for e in node["latestSessionPerStage"] if e["session"]]
        statuses.add(node["rollup"]["status"])
        if not furthest:
            assert node["rollup"] == {"status": "NOT_SCHEDULED", "stage": {"position": 1}}
        elif furthest[-1]["session"]["status"] in ("SCHEDULED", "IN_PROGRESS", "FAILED", "CANCELLED"):
            assert node["rollup"] == {"status": furthest[-1]["session"]["status"], "stage": furthest[-1]["stage"]}
    assert len(statuses) >= 4, statuses  # the seed covers several states
