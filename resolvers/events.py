"""Reading events."""

import strawberry

from resolvers.common import decode
from resolvers.reads import paged
from schema.context import Info
from schema.enums import EventType
from schema.types.common import Connection
from schema.types.events import Event
from services import reads
from services.auth import Permission


@strawberry.type
class EventQueries:
    @strawberry.field
    async def events(
        self,
        info: Info,
        types: list[EventType] | None = None,
        session_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Event]:
        actor = info.context.require(Permission.READ_SESSIONS)
        session_pk = decode(session_id, "Session", ["sessionId"]) if session_id is not None else None
        query = reads.events_listing(actor.organization_id, types=types, session_id=session_pk)
        return await paged(info, query, Event.from_row, first, after)
