"""The floor: the benchmark's two queries answered by hand, to compare the API against.

A bare Starlette app, served by uvicorn with the API's settings (one worker, the same
loop and HTTP implementation), that takes the same POST /graphql bodies, picks the
operation by `operationName`, runs hand-written SQL on an asyncpg pool and writes the
same JSON with orjson. It checks the bearer token and scopes by organization like the
API, but knows nothing of GraphQL: no parsing, validation, resolvers or DataLoaders.
What the API spends above this is the price of its machinery.

Run: DATABASE_URL=postgresql://... python -m bench.dashboard_floor --port 8101
"""

import argparse
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.auth import hash_token
from services.ids import parse_global_id, to_global_id
from services.pagination import encode_cursor

Json = dict[str, Any]
Handler = Callable[[asyncpg.Connection, int, Json], Awaitable[Json]]

# --- the dashboard -----------------------------------------------------------------------------

TEMPLATE_SQL = "SELECT id, name FROM template WHERE id = $1 AND organization_id = $2"
STAGES_SQL = "SELECT id, position, name, pass_threshold FROM stage WHERE template_id = $1 ORDER BY position"
COUNT_SQL = "SELECT count(*) FROM application WHERE organization_id = $1 AND template_id = $2"
PAGE_SQL = """
SELECT a.id, a.hr_status, a.created_at, a.rollup_status, a.rollup_stage_id,
       p.id AS participant_id, p.name AS participant_name, p.email AS participant_email
FROM application a JOIN participant p ON p.id = a.participant_id
WHERE a.organization_id = $1 AND a.template_id = $2
ORDER BY a.id DESC LIMIT $3"""
SESSIONS_SQL = """
SELECT id, application_id, stage_id, status, attempt, created_at
FROM session WHERE application_id = ANY($1::int[]) ORDER BY id DESC"""
SESSIONS_PER_APPLICATION = 20  # the dashboard asks for sessions(first: 20)


def _pk(variables: Json, type_name: str) -> int | None:
    parsed = parse_global_id(str(variables.get("id", "")))
    return parsed[1] if parsed is not None and parsed[0] == type_name else None


def _application(row: asyncpg.Record, sessions: list[asyncpg.Record], stages: list[asyncpg.Record]) -> Json:
    stage_json = {s["id"]: {"id": to_global_id("Stage", s["id"]), "position": s["position"], "name": s["name"]} for s in stages}
    newest: dict[int, asyncpg.Record] = {}
    for session in sessions:  # newest first
        newest.setdefault(session["stage_id"], session)
    rollup_stage = next((s for s in stages if s["id"] == row["rollup_stage_id"]), None)
    return {
        "id": to_global_id("Application", row["id"]),
        "hrStatus": row["hr_status"],
        "createdAt": row["created_at"],
        "participant": {
            "id": to_global_id("Participant", row["participant_id"]),
            "name": row["participant_name"],
            "email": row["participant_email"],
        },
        "sessions": {
            "edges": [
                {"node": {
                    "id": to_global_id("Session", s["id"]), "status": s["status"], "attempt": s["attempt"],
                    "createdAt": s["created_at"], "stage": stage_json[s["stage_id"]],
                }}
                for s in sessions[:SESSIONS_PER_APPLICATION]
            ]
        },
        "latestSessionPerStage": [
            {
                "stage": {"position": stage["position"]},
                "session": None if (s := newest.get(stage["id"])) is None
                else {"id": to_global_id("Session", s["id"]), "status": s["status"], "attempt": s["attempt"]},
            }
            for stage in stages
        ],
        "rollup": {
            "status": row["rollup_status"],
            "stage": {"position": rollup_stage["position"]} if rollup_stage is not None else None,
        },
    }


async def dashboard(conn: asyncpg.Connection, organization_id: int, variables: Json) -> Json:
    template_pk, first = _pk(variables, "Template"), int(variables["first"])
    template = await conn.fetchrow(TEMPLATE_SQL, template_pk, organization_id) if template_pk is not None else None
    if template is None:
        return {"template": None}
    stages = await conn.fetch(STAGES_SQL, template_pk)
    total = await conn.fetchval(COUNT_SQL, organization_id, template_pk)
    rows = await conn.fetch(PAGE_SQL, organization_id, template_pk, first + 1)
    page = rows[:first]
    by_application: dict[int, list[asyncpg.Record]] = {row["id"]: [] for row in page}
    for session in await conn.fetch(SESSIONS_SQL, list(by_application)):
        by_application[session["application_id"]].append(session)
    return {
        "template": {
            "name": template["name"],
            "stages": [
                {"id": to_global_id("Stage", s["id"]), "position": s["position"], "name": s["name"],
                 "passThreshold": s["pass_threshold"]}
                for s in stages
            ],
            "applications": {
                "totalCount": total,
                "pageInfo": {
                    "hasNextPage": len(rows) > first,
                    "endCursor": encode_cursor(page[-1]["id"]) if page else None,
                },
                "edges": [{"node": _application(row, by_application[row["id"]], stages)} for row in page],
            },
        }
    }


# --- one session in detail ---------------------------------------------------------------------

SESSION_SQL = """
SELECT s.*, st.position AS stage_position, st.name AS stage_name, st.pass_threshold,
       p.name AS participant_name, p.email AS participant_email, t.name AS template_name, t.slug AS template_slug
FROM session s
JOIN stage st ON st.id = s.stage_id
JOIN participant p ON p.id = s.participant_id
JOIN template t ON t.id = s.template_id
WHERE s.id = $1 AND s.organization_id = $2"""
TRANSCRIPT_SQL = """
SELECT seq, speaker, text, start_ms, end_ms, created_at FROM transcript_segment
WHERE session_id = $1 AND seq > 0 AND seq <= 1000 ORDER BY seq"""
SIGNALS_SQL = """
SELECT seq, kind, severity, detail, occurred_at FROM authenticity_signal WHERE session_id = $1 ORDER BY seq"""
SCORECARD_SQL = "SELECT overall_score, decision, criteria, summary, finalized_at FROM scorecard WHERE session_id = $1"
EVENTS_SQL = "SELECT id, type, sequence, occurred_at, data FROM event WHERE session_id = $1 ORDER BY sequence"


def _scorecard(row: asyncpg.Record | None) -> Json | None:
    if row is None:
        return None
    criteria = [
        {"name": c["name"], "score": c["score"], "weight": c["weight"], "comment": c.get("comment")}
        for c in orjson.loads(row["criteria"])
    ]
    return {
        "overallScore": row["overall_score"], "decision": row["decision"], "criteria": criteria,
        "summary": row["summary"], "finalizedAt": row["finalized_at"],
    }


async def session_detail(conn: asyncpg.Connection, organization_id: int, variables: Json) -> Json:
    pk = _pk(variables, "Session")
    s = await conn.fetchrow(SESSION_SQL, pk, organization_id) if pk is not None else None
    if s is None:
        return {"session": None}
    segments = await conn.fetch(TRANSCRIPT_SQL, pk)
    signals = await conn.fetch(SIGNALS_SQL, pk)
    scorecard = await conn.fetchrow(SCORECARD_SQL, pk)
    events = await conn.fetch(EVENTS_SQL, pk)
    return {"session": {
        "id": to_global_id("Session", s["id"]), "status": s["status"], "attempt": s["attempt"],
        "scheduledFor": s["scheduled_for"], "createdAt": s["created_at"], "startedAt": s["started_at"],
        "endedAt": s["ended_at"], "cancelledAt": s["cancelled_at"], "failureReason": s["failure_reason"],
        "cancelReason": s["cancel_reason"], "recordingUrl": s["recording_url"],
        "stage": {"id": to_global_id("Stage", s["stage_id"]), "position": s["stage_position"], "name": s["stage_name"],
                  "passThreshold": s["pass_threshold"]},
        "participant": {"id": to_global_id("Participant", s["participant_id"]), "name": s["participant_name"],
                        "email": s["participant_email"]},
        "template": {"id": to_global_id("Template", s["template_id"]), "name": s["template_name"],
                     "slug": s["template_slug"]},
        "transcript": [
            {"seq": g["seq"], "speaker": g["speaker"], "text": g["text"], "startMs": g["start_ms"], "endMs": g["end_ms"],
             "createdAt": g["created_at"]}
            for g in segments
        ],
        "authenticitySignals": [
            {"seq": g["seq"], "kind": g["kind"], "severity": g["severity"], "detail": g["detail"],
             "occurredAt": g["occurred_at"]}
            for g in signals
        ],
        "scorecard": _scorecard(scorecard),
        # The stored JSON is already the webhook's data object: pass it through unparsed.
        "events": [
            {"id": to_global_id("Event", e["id"]), "type": e["type"], "sequence": e["sequence"],
             "occurredAt": e["occurred_at"], "data": orjson.Fragment(e["data"])}
            for e in events
        ],
    }}


# --- the HTTP face ---------------------------------------------------------------------------

HANDLERS: dict[str, Handler] = {"Dashboard": dashboard, "SessionDetail": session_detail}


def _json(value: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(value), status_code=status_code, media_type="application/json")


class Floor:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.pool: asyncpg.Pool | None = None
        # token -> organization id; keys are not revoked during a benchmark (the API caches 5 s).
        self.organizations: dict[str, int | None] = {}

    async def organization(self, request: Request) -> int | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        if token not in self.organizations:
            assert self.pool is not None
            self.organizations[token] = await self.pool.fetchval(
                "SELECT organization_id FROM api_key WHERE token_hash = $1 AND revoked_at IS NULL", hash_token(token)
            )
        return self.organizations[token]

    async def graphql(self, request: Request) -> Response:
        organization_id = await self.organization(request)
        if organization_id is None:
            return _json({"errors": [{"message": "a valid API key is required"}]}, 401)
        payload = orjson.loads(await request.body())
        handler = HANDLERS.get(payload.get("operationName"))
        if handler is None:
            return _json({"errors": [{"message": "the floor answers Dashboard and SessionDetail only"}]}, 400)
        assert self.pool is not None
        async with self.pool.acquire() as conn:
            data = await handler(conn, organization_id, payload.get("variables") or {})
        return _json({"data": data})

    async def readyz(self, request: Request) -> Response:
        assert self.pool is not None
        await self.pool.fetchval("SELECT 1")
        return _json({"status": "ready"})

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        # As many connections as the API's pool keeps open (pool_size=10).
        self.pool = await asyncpg.create_pool(self.database_url, min_size=2, max_size=10)
        try:
            yield
        finally:
            await self.pool.close()


def create_app() -> Starlette:
    floor = Floor(os.environ["DATABASE_URL"])
    return Starlette(
        routes=[Route("/graphql", floor.graphql, methods=["POST"]), Route("/readyz", floor.readyz)],
        lifespan=floor.lifespan,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="serve the benchmark's floor")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    args = parser.parse_args()
    # The same uvicorn.run call as `interview-api serve` (loop and http left to "auto").
    uvicorn.run("bench.dashboard_floor:create_app", factory=True, host=args.host, port=args.port, workers=1,
                log_level="warning")


if __name__ == "__main__":
    main()
