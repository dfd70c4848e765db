"""Templates: reading them, creating them."""

import strawberry

from resolvers import mutations
from resolvers.common import load_one, pk_or_none
from resolvers.reads import paged
from schema.context import Info
from schema.errors import user_errors
from schema.inputs import CreateTemplateInput
from schema.payloads import TemplatePayload
from schema.types.common import Connection
from schema.types.templates import Template
from services import reads, templates
from services.auth import Permission
from services.errors import DomainError


@strawberry.type
class TemplateQueries:
    @strawberry.field
    async def template(self, info: Info, id: strawberry.ID) -> Template | None:
        info.context.require(Permission.READ_ALL)
        return await load_one(info, "template_by_id", pk_or_none(id, "Template"))  # type: ignore[no-any-return]

    @strawberry.field
    async def templates(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Template]:
        actor = info.context.require(Permission.READ_ALL)
        return await paged(info, reads.templates_listing(actor.organization_id), Template.from_row, first, after)


@strawberry.type
class TemplateMutations:
    @strawberry.mutation
    async def create_template(
        self, info: Info, input: CreateTemplateInput, idempotency_key: str | None = None
    ) -> TemplatePayload:
        actor = info.context.require(Permission.MANAGE_TEMPLATES)

        async def action(uow: mutations.UnitOfWork) -> int:
            template = await templates.create_template(
                uow,
                actor,
                name=input.name,
                slug=input.slug,
                stages=[templates.StageInput(s.name, s.pass_threshold) for s in input.stages],
                public_apply=bool(input.public_apply),
                require_approval=bool(input.require_approval),
            )
            assert template.id is not None
            return template.id

        try:
            pk = await mutations.run(
                info,
                action,
                operation="createTemplate",
                idempotency_key=idempotency_key,
                arguments=strawberry.asdict(input),
                scope=actor.scope,
            )
        except DomainError as error:
            return TemplatePayload(user_errors=user_errors(error))
        return TemplatePayload(template=await load_one(info, "template_by_id", pk))
