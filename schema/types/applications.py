"""Participants, their applications, and the Applications panel's view of them."""

from collections.abc import Awaitable
from datetime import datetime
from typing import Any

import strawberry

from schema.context import Info
from schema.enums import ApplicationSource, HrStatus, RollupStatus
from schema.types.common import Connection, Node, connection_from_list
from schema.types.sessions import Session
from schema.types.templates import Stage, Template
from services.ids import decode_id, to_global_id
from services.pagination import PageRequest


@strawberry.type
class Participant(Node):
    name: str
    email: str
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> "Participant":
        return cls(id=strawberry.ID(to_global_id("Participant", row.id)), name=row.name, email=row.email, pk=row.id)

    @strawberry.field
    async def applications(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection["Application"]:
        from resolvers.reads import application_connection

        return await application_connection(info, first=first, after=after, participant_id=self.pk)

    @strawberry.field
    async def sessions(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Session]:
        from resolvers.reads import session_connection

        return await session_connection(info, first=first, after=after, participant_id=self.pk)


@strawberry.type
class StageSession:
    stage: Stage
    session: Session | None


@strawberry.type
class ApplicationRollup:
    stage: Stage | None
    status: RollupStatus


async def _then(awaitable: Awaitable[Any], build: Any) -> Any:
    return build(await awaitable)


@strawberry.type
class Application(Node):
    source: ApplicationSource
    hr_status: HrStatus
    created_at: datetime

    pk: strawberry.Private[int]
    template_id: strawberry.Private[int]
    participant_id: strawberry.Private[int]
    rollup_status: strawberry.Private[Any]
    rollup_stage_id: strawberry.Private[int | None]
    # Filled by the read path when it loaded them with the page; else loaders are used.
    prefetched_participant: strawberry.Private[Participant | None] = None
    prefetched_sessions: strawberry.Private[list[Session] | None] = None
    prefetched_stages: strawberry.Private[list[Stage] | None] = None

    @classmethod
    def from_row(cls, row: Any) -> "Application":
        return cls(
            id=strawberry.ID(to_global_id("Application", row.id)),
            source=row.source,
            hr_status=row.hr_status,
            created_at=row.created_at,
            pk=row.id,
            template_id=row.template_id,
            participant_id=row.participant_id,
            rollup_status=row.rollup_status,
            rollup_stage_id=row.rollup_stage_id,
        )

    # Each field below answers from what was prefetched without awaiting anything, and
    # falls back to the request's DataLoaders when this application was loaded alone.

    def _sessions(self, info: Info) -> list[Session] | Awaitable[list[Session]]:
        if self.prefetched_sessions is not None:
            return self.prefetched_sessions
        return info.context.loaders.sessions_by_application.load(self.pk)

    def _stages(self, info: Info) -> list[Stage] | Awaitable[list[Stage]]:
        if self.prefetched_stages is not None:
            return self.prefetched_stages
        return info.context.loaders.stages_by_template.load(self.template_id)

    @strawberry.field
    def template(self, info: Info) -> Template:
        return info.context.loaders.template_by_id.load(self.template_id)  # type: ignore[return-value]

    @strawberry.field
    def participant(self, info: Info) -> Participant:
        if self.prefetched_participant is not None:
            return self.prefetched_participant
        return info.context.loaders.participant_by_id.load(self.participant_id)  # type: ignore[return-value]

    @strawberry.field(description="Every session of this application, newest first; retries are separate rows.")
    def sessions(
        self, info: Info, first: int | None = None, after: str | None = None, stage_id: strawberry.ID | None = None
    ) -> Connection[Session]:
        request = PageRequest.parse(first, after, max_size=info.context.max_page_size)
        stage_pk = decode_id(stage_id, "Stage", ["stageId"]) if stage_id is not None else None

        def build(sessions: list[Session]) -> Connection[Session]:
            if stage_pk is not None:
                sessions = [s for s in sessions if s.stage_id == stage_pk]
            return connection_from_list(sessions, [s.pk for s in sessions], request)

        loaded = self._sessions(info)
        return build(loaded) if isinstance(loaded, list) else _then(loaded, build)  # type: ignore[return-value]

    @strawberry.field(
        description="One entry per stage of the template, in stage order: the newest session of that stage, or null."
    )
    def latest_session_per_stage(self, info: Info) -> list[StageSession]:
        def build(stages: list[Stage], sessions: list[Session]) -> list[StageSession]:
            newest: dict[int, Session] = {}
            for session in sessions:  # newest first, so the first seen per stage wins
                newest.setdefault(session.stage_id, session)
            return [StageSession(stage=stage, session=newest.get(stage.pk)) for stage in stages]

        stages, sessions = self._stages(info), self._sessions(info)
        if isinstance(stages, list) and isinstance(sessions, list):
            return build(stages, sessions)

        async def later() -> list[StageSession]:
            return build(
                stages if isinstance(stages, list) else await stages,
                sessions if isinstance(sessions, list) else await sessions,
            )

        return later()  # type: ignore[return-value]

    @strawberry.field
    def latest_session(self, info: Info) -> Session | None:
        loaded = self._sessions(info)
        newest = lambda sessions: sessions[0] if sessions else None  # noqa: E731
        return newest(loaded) if isinstance(loaded, list) else _then(loaded, newest)  # type: ignore[return-value]

    @strawberry.field
    def rollup(self, info: Info) -> ApplicationRollup:
        def build(stages: list[Stage]) -> ApplicationRollup:
            stage = next((s for s in stages if s.pk == self.rollup_stage_id), None)
            return ApplicationRollup(stage=stage, status=self.rollup_status)

        if self.rollup_stage_id is None:
            return ApplicationRollup(stage=None, status=self.rollup_status)
        loaded = self._stages(info)
        return build(loaded) if isinstance(loaded, list) else _then(loaded, build)  # type: ignore[return-value]


__all__ = ["Application", "ApplicationRollup", "Participant", "StageSession"]
