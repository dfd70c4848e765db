"""Webhook endpoints and deliveries."""

from datetime import datetime
from typing import Any

import strawberry

from schema.context import Info
from schema.enums import DeliveryStatus, EventType
from schema.types.common import Connection, Node
from schema.types.events import Event
from services.auth import Permission
from services.ids import to_global_id
from services.webhooks import reads


@strawberry.type
class WebhookDelivery(Node):
    status: DeliveryStatus
    attempts: int
    response_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None

    pk: strawberry.Private[int]
    event_id: strawberry.Private[int]
    endpoint_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> "WebhookDelivery":
        return cls(
            id=strawberry.ID(to_global_id("WebhookDelivery", row.id)),
            status=row.status,
            attempts=row.attempts,
            response_status=row.response_status,
            last_error=row.last_error,
            # Only a PENDING delivery has a next attempt.
            next_attempt_at=row.next_attempt_at,
            delivered_at=row.delivered_at,
            pk=row.id,
            event_id=row.event_id,
            endpoint_id=row.endpoint_id,
        )

    @strawberry.field
    def event(self, info: Info) -> Event:
        return info.context.loaders.event_by_id.load(self.event_id)  # type: ignore[return-value]

    @strawberry.field
    def endpoint(self, info: Info) -> "WebhookEndpoint":
        return info.context.loaders.webhook_endpoint_by_id.load(self.endpoint_id)  # type: ignore[return-value]


@strawberry.type
class WebhookEndpoint(Node):
    url: str
    description: str | None
    event_types: list[EventType] = strawberry.field(description="Empty means every event type.")
    enabled: bool
    created_at: datetime

    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> "WebhookEndpoint":
        return cls(
            id=strawberry.ID(to_global_id("WebhookEndpoint", row.id)),
            url=row.url,
            description=row.description,
            event_types=[EventType(name) for name in row.event_types],
            enabled=row.enabled,
            created_at=row.created_at,
            pk=row.id,
        )

    @strawberry.field
    async def deliveries(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[WebhookDelivery]:
        from resolvers.reads import paged

        actor = info.context.require(Permission.MANAGE_WEBHOOKS)
        query = reads.deliveries_listing(actor.organization_id, self.pk)
        return await paged(info, query, WebhookDelivery.from_row, first, after)
