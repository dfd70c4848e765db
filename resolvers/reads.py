"""The read path of lists: a page in one query, and what its nodes show prefetched in a
few set-based queries for the whole page, so no field queries per row."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select

from models import HrStatus, RollupStatus, SessionStatus
from resolvers.selection import selected_paths
from schema.context import Info
from schema.types.applications import Application
from schema.types.common import Connection, connection_from_page
from schema.types.sessions import Session
from services import reads
from services.auth import Permission
from services.pagination import PageRequest, count, fetch_page


async def _page(info: Info, query: Select[Any], id_column: Any, first: int | None, after: str | None) -> Any:
    request = PageRequest.parse(first, after, max_size=info.context.max_page_size)
    database = info.context.runtime.database
    async with database.read() as db:
        page = await fetch_page(db, query, id_column, request)

    async def total() -> int:
        async with database.read() as db:
            return await count(db, query)

    return page, total


async def prefetch_sessions(info: Info, sessions: Sequence[Session], paths: set[str], prefix: str) -> None:
    """Attach the stage to each session when the selection reads it."""
    if f"{prefix}stage" in paths and sessions:
        # By template: the same loader (and often the same cached batch) as Template.stages.
        template_ids = sorted({s.template_id for s in sessions})
        stage_lists = await info.context.loaders.stages_by_template.load_many(template_ids)
        by_id = {stage.pk: stage for stages in stage_lists for stage in stages}
        for session in sessions:
            session.prefetched_stage = by_id.get(session.stage_id)


async def prefetch_applications(info: Info, applications: Sequence[Application], paths: set[str], prefix: str) -> None:
    if not applications:
        return
    loaders = info.context.loaders
    if f"{prefix}participant" in paths:
        participants = await loaders.participant_by_id.load_many([a.participant_id for a in applications])
        for application, participant in zip(applications, participants, strict=True):
            application.prefetched_participant = participant
    wants_sessions = any(
        f"{prefix}{name}" in paths for name in ("sessions", "latestSessionPerStage", "latestSession")
    )
    if wants_sessions:
        groups = await loaders.sessions_by_application.load_many([a.pk for a in applications])
        for application, sessions in zip(applications, groups, strict=True):
            application.prefetched_sessions = sessions
        all_sessions = [s for group in groups for s in group]
        for inner in ("sessions.edges.node.", "latestSessionPerStage.session.", "latestSession."):
            await prefetch_sessions(info, all_sessions, paths, prefix + inner)
    if f"{prefix}latestSessionPerStage" in paths or f"{prefix}rollup.stage" in paths:
        template_ids = sorted({a.template_id for a in applications})
        stage_lists = dict(zip(template_ids, await loaders.stages_by_template.load_many(template_ids), strict=True))
        for application in applications:
            application.prefetched_stages = stage_lists[application.template_id]


async def application_connection(
    info: Info,
    *,
    first: int | None,
    after: str | None,
    template_id: int | None = None,
    participant_id: int | None = None,
    hr_status: HrStatus | None = None,
    rollup_status: RollupStatus | None = None,
) -> Connection[Application]:
    actor = info.context.require(Permission.READ_ALL)
    query = reads.applications_listing(
        actor.organization_id,
        template_id=template_id,
        participant_id=participant_id,
        hr_status=hr_status,
        rollup_status=rollup_status,
    )
    page, total = await _page(info, query, query.selected_columns.id, first, after)
    applications = [Application.from_row(row) for row in page.rows]
    await prefetch_applications(info, applications, selected_paths(info), "edges.node.")
    return connection_from_page(page, applications, total)


async def session_connection(
    info: Info,
    *,
    first: int | None,
    after: str | None,
    template_id: int | None = None,
    statuses: Sequence[SessionStatus] | None = None,
    participant_id: int | None = None,
) -> Connection[Session]:
    actor = info.context.require(Permission.READ_SESSIONS)
    query = reads.sessions_listing(
        actor.organization_id, template_id=template_id, statuses=statuses, participant_id=participant_id
    )
    page, total = await _page(info, query, query.selected_columns.id, first, after)
    sessions = [Session.from_row(row) for row in page.rows]
    await prefetch_sessions(info, sessions, selected_paths(info), "edges.node.")
    return connection_from_page(page, sessions, total)


async def paged(info: Info, query: Select[Any], build: Any, first: int | None, after: str | None) -> Connection[Any]:
    """A plain connection over `query` (no prefetching)."""
    page, total = await _page(info, query, query.selected_columns.id, first, after)
    return connection_from_page(page, [build(row) for row in page.rows], total)
