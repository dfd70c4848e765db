"""Sessions: reading them, the join view, scheduling and every lifecycle transition."""

from collections.abc import Awaitable, Callable

import strawberry

from models import Session as SessionRow
from resolvers import mutations
from resolvers.common import decode, load_one, pk_or_none
from resolvers.reads import session_connection
from schema.context import Info
from schema.enums import SessionStatus
from schema.errors import user_errors
from schema.inputs import ScheduleSessionInput
from schema.payloads import SessionPayload
from schema.types.common import Connection
from schema.types.sessions import JoinView, Session
from services import joins, sessions
from services.auth import Actor, Permission
from services.errors import DomainError
from services.ids import to_global_id


async def session_payload(
    info: Info, action: Callable[[mutations.UnitOfWork], Awaitable[SessionRow]], operation: str
) -> SessionPayload:
    """Run a mutation that returns a session and answer with it (or with userErrors)."""

    async def run(uow: mutations.UnitOfWork) -> int:
        session = await action(uow)
        assert session.id is not None
        return session.id

    try:
        pk = await mutations.run(info, run, operation=operation)
    except DomainError as error:
        return SessionPayload(user_errors=user_errors(error))
    return SessionPayload(session=await load_one(info, "session_by_id", pk))


@strawberry.type
class SessionQueries:
    @strawberry.field
    async def session(self, info: Info, id: strawberry.ID) -> Session | None:
        info.context.require(Permission.READ_SESSIONS)
        return await load_one(info, "session_by_id", pk_or_none(id, "Session"))  # type: ignore[no-any-return]

    @strawberry.field
    async def sessions(
        self,
        info: Info,
        template_id: strawberry.ID | None = None,
        status: list[SessionStatus] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Session]:
        template_pk = decode(template_id, "Template", ["templateId"]) if template_id is not None else None
        return await session_connection(info, first=first, after=after, template_id=template_pk, statuses=status)

    @strawberry.field(description="Public: what the interview room shows for the token in a join_url.")
    async def join_view(self, info: Info, token: str) -> JoinView | None:
        async with info.context.runtime.database.read() as db:
            view = await joins.join_view(db, token)
        if view is None:
            return None
        return JoinView(
            session_id=strawberry.ID(to_global_id("Session", view.session_id)),
            status=view.status,
            template_name=view.template_name,
            stage_name=view.stage_name,
            participant_name=view.participant_name,
            scheduled_for=view.scheduled_for,
        )


def _driver(info: Info) -> Actor:
    return info.context.require(Permission.DRIVE_SESSIONS)


@strawberry.type
class SessionMutations:
    @strawberry.mutation(description="A fresh SCHEDULED session; a retry after FAILED or CANCELLED is simply another call.")
    async def schedule_session(
        self, info: Info, input: ScheduleSessionInput, idempotency_key: str | None = None
    ) -> SessionPayload:
        actor = info.context.require(Permission.SCHEDULE_SESSIONS)
        secret = info.context.runtime.join_secret

        async def action(uow: mutations.UnitOfWork) -> int:
            session = await sessions.schedule(
                uow,
                actor,
                secret,
                application_id=decode(input.application_id, "Application", ["input", "applicationId"]),
                stage_id=decode(input.stage_id, "Stage", ["input", "stageId"]) if input.stage_id is not None else None,
                scheduled_for=input.scheduled_for,
            )
            assert session.id is not None
            return session.id

        try:
            pk = await mutations.run(
                info,
                action,
                operation="scheduleSession",
                idempotency_key=idempotency_key,
                arguments=strawberry.asdict(input),
                scope=actor.scope,
            )
        except DomainError as error:
            return SessionPayload(user_errors=user_errors(error))
        return SessionPayload(session=await load_one(info, "session_by_id", pk))

    @strawberry.mutation(description="The candidate joined: SCHEDULED -> IN_PROGRESS.")
    async def start_session(self, info: Info, id: strawberry.ID) -> SessionPayload:
        actor = _driver(info)
        return await session_payload(
            info, lambda uow: sessions.start(uow, actor, decode(id, "Session", ["id"])), "startSession"
        )

    @strawberry.mutation(description="The AI delivered the closing line: IN_PROGRESS -> COMPLETED.")
    async def complete_session(self, info: Info, id: strawberry.ID, recording_url: str | None = None) -> SessionPayload:
        actor = _driver(info)
        return await session_payload(
            info,
            lambda uow: sessions.complete(uow, actor, decode(id, "Session", ["id"]), recording_url),
            "completeSession",
        )

    @strawberry.mutation(description="Disconnect or technical failure: IN_PROGRESS -> FAILED.")
    async def fail_session(self, info: Info, id: strawberry.ID, reason: str) -> SessionPayload:
        actor = _driver(info)
        return await session_payload(
            info, lambda uow: sessions.fail(uow, actor, decode(id, "Session", ["id"]), reason), "failSession"
        )

    @strawberry.mutation(description="Before the candidate joined: SCHEDULED -> CANCELLED.")
    async def cancel_session(self, info: Info, id: strawberry.ID, reason: str | None = None) -> SessionPayload:
        actor = info.context.require(Permission.SCHEDULE_SESSIONS)
        return await session_payload(
            info, lambda uow: sessions.cancel(uow, actor, decode(id, "Session", ["id"]), reason), "cancelSession"
        )
