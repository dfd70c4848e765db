"""The caller, and the organization's API keys (ADMIN only)."""

import strawberry

from models import ApiKey as ApiKeyRow
from resolvers import mutations
from resolvers.common import decode
from schema.context import Info
from schema.errors import user_errors
from schema.inputs import CreateApiKeyInput
from schema.payloads import ApiKeyPayload, DeletePayload
from schema.types.accounts import ApiKey, Organization, Viewer
from services import auth, reads, validation
from services.auth import Permission
from services.errors import DomainError, unauthenticated
from services.lookups import get_scoped


@strawberry.type
class AccountQueries:
    @strawberry.field
    async def viewer(self, info: Info) -> Viewer:
        actor = info.context.actor
        if actor is None:
            raise unauthenticated()
        async with info.context.runtime.database.read() as db:
            organization = await reads.organization(db, actor.organization_id)
        assert organization is not None
        return Viewer(organization=Organization.from_row(organization), role=actor.role)

    @strawberry.field
    async def api_keys(self, info: Info) -> list[ApiKey]:
        actor = info.context.require(Permission.MANAGE_API_KEYS)
        async with info.context.runtime.database.read() as db:
            return [ApiKey.from_row(row) for row in await reads.api_keys(db, actor.organization_id)]


@strawberry.type
class AccountMutations:
    @strawberry.mutation
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> ApiKeyPayload:
        actor = info.context.require(Permission.MANAGE_API_KEYS)

        async def action(uow: mutations.UnitOfWork) -> tuple[ApiKeyRow, str]:
            name = validation.text(input.name, ["input", "name"], max_length=validation.NAME_MAX)
            return await auth.create_api_key(uow.db, actor.organization_id, name, input.role)

        try:
            key, token = await mutations.run(info, action, operation="createApiKey")
        except DomainError as error:
            return ApiKeyPayload(user_errors=user_errors(error))
        return ApiKeyPayload(api_key=ApiKey.from_row(key), token=token)

    @strawberry.mutation
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> DeletePayload:
        actor = info.context.require(Permission.MANAGE_API_KEYS)

        async def action(uow: mutations.UnitOfWork) -> None:
            key = await get_scoped(uow.db, ApiKeyRow, decode(id, "ApiKey", ["id"]), actor, field=["id"], lock=True)
            await auth.revoke_api_key(uow.db, key)

        try:
            await mutations.run(info, action, operation="revokeApiKey")
        except DomainError as error:
            return DeletePayload(user_errors=user_errors(error))
        return DeletePayload(deleted_id=id)
