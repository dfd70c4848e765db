"""Webhook endpoints and deliveries (ADMIN only)."""

import strawberry

from schema.context import Info
from schema.inputs import CreateWebhookEndpointInput, UpdateWebhookEndpointInput
from schema.payloads import DeletePayload, WebhookDeliveryPayload, WebhookEndpointPayload
from schema.types.webhooks import WebhookEndpoint


@strawberry.type
class WebhookQueries:
    @strawberry.field
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        raise NotImplementedError


@strawberry.type
class WebhookMutations:
    @strawberry.mutation
    async def create_webhook_endpoint(self, info: Info, input: CreateWebhookEndpointInput) -> WebhookEndpointPayload:
        raise NotImplementedError

    @strawberry.mutation
    async def update_webhook_endpoint(
        self, info: Info, id: strawberry.ID, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        raise NotImplementedError

    @strawberry.mutation
    async def delete_webhook_endpoint(self, info: Info, id: strawberry.ID) -> DeletePayload:
        raise NotImplementedError

    @strawberry.mutation
    async def rotate_webhook_secret(self, info: Info, id: strawberry.ID) -> WebhookEndpointPayload:
        raise NotImplementedError

    @strawberry.mutation
    async def redeliver_webhook(self, info: Info, delivery_id: strawberry.ID) -> WebhookDeliveryPayload:
        raise NotImplementedError
