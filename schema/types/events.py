"""Events: the outbox rows that webhooks and live views carry."""

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from schema.context import Info
from schema.enums import EventType
from schema.types.common import Node
from schema.types.sessions import Session
from services.ids import to_global_id


@strawberry.type
class Event(Node):
    type: EventType
    sequence: int = strawberry.field(
        description="1, 2, 3, ... per session, in the order the events were committed; webhooks carry it too."
    )
    occurred_at: datetime
    data: JSON = strawberry.field(description="Exactly the data object that webhooks carry for this event.")
    pk: strawberry.Private[int]
    session_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> "Event":
        return cls(
            id=strawberry.ID(to_global_id("Event", row.id)),
            type=row.type,
            sequence=row.sequence,
            occurred_at=row.occurred_at,
            data=row.data,
            pk=row.id,
            session_id=row.session_id,
        )

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> "Event":
        return cls(
            id=strawberry.ID(message["globalId"]),
            type=EventType(message["type"]),
            sequence=message["sequence"],
            occurred_at=datetime.fromisoformat(message["occurredAt"]),
            data=message["data"],
            pk=message["id"],
            session_id=message["sessionId"],
        )

    @strawberry.field
    def session(self, info: Info) -> Session:
        return info.context.loaders.session_by_id.load(self.session_id)  # type: ignore[return-value]
