"""Query.node: any object by its global ID, within the caller's organization and rights."""

from typing import Any

import strawberry

from resolvers.common import load_one
from schema.context import Info
from schema.types.accounts import ApiKey, Organization
from schema.types.common import Node
from services import reads
from services.auth import Permission
from services.ids import parse_global_id

# type name -> (loader on the request's Loaders, permission needed to see it)
NODE_LOADERS: dict[str, tuple[str, Permission]] = {
    "Template": ("template_by_id", Permission.READ_ALL),
    "Stage": ("stage_by_id", Permission.READ_ALL),
    "Participant": ("participant_by_id", Permission.READ_ALL),
    "Application": ("application_by_id", Permission.READ_ALL),
    "Session": ("session_by_id", Permission.READ_SESSIONS),
    "Event": ("event_by_id", Permission.READ_SESSIONS),
    "WebhookEndpoint": ("webhook_endpoint_by_id", Permission.MANAGE_WEBHOOKS),
    "WebhookDelivery": ("webhook_delivery_by_id", Permission.MANAGE_WEBHOOKS),
}


@strawberry.type
class NodeQueries:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        parsed = parse_global_id(id)
        if parsed is None:
            return None
        type_name, pk = parsed
        database = info.context.runtime.database
        if type_name == "Organization":
            actor = info.context.require(Permission.READ_SESSIONS)
            if pk != actor.organization_id:
                return None
            async with database.read() as db:
                row = await reads.organization(db, pk)
            return Organization.from_row(row) if row is not None else None
        if type_name == "ApiKey":
            actor = info.context.require(Permission.MANAGE_API_KEYS)
            async with database.read() as db:
                rows = await reads.api_keys(db, actor.organization_id)
            return next((ApiKey.from_row(row) for row in rows if row.id == pk), None)
        loader_name, permission = NODE_LOADERS[type_name]
        info.context.require(permission)
        node: Any = await load_one(info, loader_name, pk)
        return node  # type: ignore[no-any-return]
