"""Webhook endpoints and deliveries (filled in by the webhooks work)."""

from datetime import datetime

import strawberry

from schema.context import Info
from schema.enums import DeliveryStatus, EventType
from schema.types.common import Connection, Node
from schema.types.events import Event


@strawberry.type
class WebhookDelivery(Node):
    status: DeliveryStatus
    attempts: int
    response_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None

    @strawberry.field
    def event(self, info: Info) -> Event:
        raise NotImplementedError

    @strawberry.field
    def endpoint(self, info: Info) -> "WebhookEndpoint":
        raise NotImplementedError


@strawberry.type
class WebhookEndpoint(Node):
    url: str
    description: str | None
    event_types: list[EventType] = strawberry.field(description="Empty means every event type.")
    enabled: bool
    created_at: datetime

    @strawberry.field
    async def deliveries(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[WebhookDelivery]:
        raise NotImplementedError
