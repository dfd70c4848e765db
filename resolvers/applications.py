"""Applications and participants: reading, the public apply flow, HR decisions."""

import strawberry

from resolvers import mutations
from resolvers.common import decode, load_one, pk_or_none
from resolvers.reads import application_connection
from schema.context import Info
from schema.enums import HrStatus, RollupStatus
from schema.errors import user_errors
from schema.inputs import AddParticipantInput, ApplyInput
from schema.payloads import ApplicationPayload
from schema.types.applications import Application, Participant
from schema.types.common import Connection
from services import applications
from services.auth import Permission
from services.errors import DomainError


async def _payload(info: Info, pk: int) -> ApplicationPayload:
    return ApplicationPayload(application=await load_one(info, "application_by_id", pk))


@strawberry.type
class ApplicationQueries:
    @strawberry.field
    async def application(self, info: Info, id: strawberry.ID) -> Application | None:
        info.context.require(Permission.READ_ALL)
        return await load_one(info, "application_by_id", pk_or_none(id, "Application"))  # type: ignore[no-any-return]

    @strawberry.field
    async def applications(
        self,
        info: Info,
        template_id: strawberry.ID | None = None,
        hr_status: HrStatus | None = None,
        rollup_status: RollupStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Application]:
        template_pk = decode(template_id, "Template", ["templateId"]) if template_id is not None else None
        return await application_connection(
            info, first=first, after=after, template_id=template_pk, hr_status=hr_status, rollup_status=rollup_status
        )

    @strawberry.field
    async def participant(self, info: Info, id: strawberry.ID) -> Participant | None:
        info.context.require(Permission.READ_ALL)
        return await load_one(info, "participant_by_id", pk_or_none(id, "Participant"))  # type: ignore[no-any-return]


@strawberry.type
class ApplicationMutations:
    @strawberry.mutation(description="Public: a candidate applies to a template by its slug.")
    async def apply(self, info: Info, input: ApplyInput, idempotency_key: str | None = None) -> ApplicationPayload:
        async def action(uow: mutations.UnitOfWork) -> list[int]:
            application = await applications.apply(
                uow, template_slug=input.template_slug, name=input.name, email=input.email
            )
            assert application.id is not None
            return [application.organization_id, application.id]

        try:
            org_id, pk = await mutations.run(
                info,
                action,
                operation="apply",
                idempotency_key=idempotency_key,
                arguments=strawberry.asdict(input),
                scope="public",
            )
        except DomainError as error:
            return ApplicationPayload(user_errors=user_errors(error))
        # The caller may be anonymous: show the new application only to its own organization.
        actor = info.context.actor
        if actor is None or actor.organization_id != org_id:
            return ApplicationPayload(application=None)
        return await _payload(info, pk)

    @strawberry.mutation
    async def add_participant(
        self, info: Info, input: AddParticipantInput, idempotency_key: str | None = None
    ) -> ApplicationPayload:
        actor = info.context.require(Permission.MANAGE_APPLICATIONS)

        async def action(uow: mutations.UnitOfWork) -> int:
            template_pk = decode(input.template_id, "Template", ["input", "templateId"])
            application = await applications.add_participant(
                uow, actor, template_id=template_pk, name=input.name, email=input.email
            )
            assert application.id is not None
            return application.id

        try:
            pk = await mutations.run(
                info,
                action,
                operation="addParticipant",
                idempotency_key=idempotency_key,
                arguments=strawberry.asdict(input),
                scope=actor.scope,
            )
        except DomainError as error:
            return ApplicationPayload(user_errors=user_errors(error))
        return await _payload(info, pk)

    @strawberry.mutation
    async def approve_application(self, info: Info, id: strawberry.ID) -> ApplicationPayload:
        actor = info.context.require(Permission.MANAGE_APPLICATIONS)

        async def action(uow: mutations.UnitOfWork) -> int:
            application = await applications.approve(uow, actor, decode(id, "Application", ["id"]))
            assert application.id is not None
            return application.id

        try:
            pk = await mutations.run(info, action, operation="approveApplication")
        except DomainError as error:
            return ApplicationPayload(user_errors=user_errors(error))
        return await _payload(info, pk)

    @strawberry.mutation
    async def reject_application(self, info: Info, id: strawberry.ID, reason: str | None = None) -> ApplicationPayload:
        actor = info.context.require(Permission.MANAGE_APPLICATIONS)

        async def action(uow: mutations.UnitOfWork) -> int:
            application = await applications.reject(uow, actor, decode(id, "Application", ["id"]), reason)
            assert application.id is not None
            return application.id

        try:
            pk = await mutations.run(info, action, operation="rejectApplication")
        except DomainError as error:
            return ApplicationPayload(user_errors=user_errors(error))
        return await _payload(info, pk)
