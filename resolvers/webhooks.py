"""Webhook endpoints and deliveries (ADMIN only)."""

import strawberry

from resolvers import mutations
from resolvers.common import decode, load_one
from schema.context import Info
from schema.errors import user_errors
from schema.inputs import CreateWebhookEndpointInput, UpdateWebhookEndpointInput
from schema.payloads import DeletePayload, WebhookDeliveryPayload, WebhookEndpointPayload
from schema.types.webhooks import WebhookEndpoint
from services.auth import Permission
from services.errors import DomainError
from services.ids import to_global_id
from services.webhooks import endpoints, reads


async def _endpoint_payload(info: Info, pk: int, secret: str | None = None) -> WebhookEndpointPayload:
    return WebhookEndpointPayload(endpoint=await load_one(info, "webhook_endpoint_by_id", pk), secret=secret)


@strawberry.type
class WebhookQueries:
    @strawberry.field
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        actor = info.context.require(Permission.MANAGE_WEBHOOKS)
        async with info.context.runtime.database.read() as db:
            rows = await reads.endpoints(db, actor.organization_id)
        return [WebhookEndpoint.from_row(row) for row in rows]


@strawberry.type
class WebhookMutations:
    @strawberry.mutation
    async def create_webhook_endpoint(self, info: Info, input: CreateWebhookEndpointInput) -> WebhookEndpointPayload:
        actor = info.context.require(Permission.MANAGE_WEBHOOKS)
        allow_private = info.context.runtime.webhook_allow_private_urls

        async def action(uow: mutations.UnitOfWork) -> list[object]:
            endpoint, secret = await endpoints.create_endpoint(
                uow,
                actor,
                url=input.url,
                description=input.description,
                event_types=input.event_types,
                allow_private=allow_private,
            )
            return [endpoint.id, secret]

        try:
            pk, secret = await mutations.run(info, action, operation="createWebhookEndpoint")
        except DomainError as error:
            return WebhookEndpointPayload(user_errors=user_errors(error))
        return await _endpoint_payload(info, pk, secret)

    @strawberry.mutation
    async def update_webhook_endpoint(
        self, info: Info, id: strawberry.ID, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        actor = info.context.require(Permission.MANAGE_WEBHOOKS)
        allow_private = info.context.runtime.webhook_allow_private_urls

        async def action(uow: mutations.UnitOfWork) -> int:
            endpoint = await endpoints.update_endpoint(
                uow,
                actor,
                decode(id, "WebhookEndpoint", ["id"]),
                url=input.url,
                description=input.description,
                event_types=input.event_types,
                enabled=input.enabled,
                allow_private=allow_private,
            )
            assert endpoint.id is not None
            return endpoint.id

        try:
            pk = await mutations.run(info, action, operation="updateWebhookEndpoint")
        except DomainError as error:
            return WebhookEndpointPayload(user_errors=user_errors(error))
        return await _endpoint_payload(info, pk)

    @strawberry.mutation
    async def delete_webhook_endpoint(self, info: Info, id: strawberry.ID) -> DeletePayload:
        actor = info.context.require(Permission.MANAGE_WEBHOOKS)

        async def action(uow: mutations.UnitOfWork) -> int:
            return await endpoints.delete_endpoint(uow, actor, decode(id, "WebhookEndpoint", ["id"]))

        try:
            pk = await mutations.run(info, action, operation="deleteWebhookEndpoint")
        except DomainError as error:
            return DeletePayload(user_errors=user_errors(error))
        return DeletePayload(deleted_id=strawberry.ID(to_global_id("WebhookEndpoint", pk)))

    @strawberry.mutation
    async def rotate_webhook_secret(self, info: Info, id: strawberry.ID) -> WebhookEndpointPayload:
        actor = info.context.require(Permission.MANAGE_WEBHOOKS)

        async def action(uow: mutations.UnitOfWork) -> list[object]:
            endpoint, secret = await endpoints.rotate_secret(uow, actor, decode(id, "WebhookEndpoint", ["id"]))
            return [endpoint.id, secret]

        try:
            pk, secret = await mutations.run(info, action, operation="rotateWebhookSecret")
        except DomainError as error:
            return WebhookEndpointPayload(user_errors=user_errors(error))
        return await _endpoint_payload(info, pk, secret)

    @strawberry.mutation
    async def redeliver_webhook(self, info: Info, delivery_id: strawberry.ID) -> WebhookDeliveryPayload:
        actor = info.context.require(Permission.MANAGE_WEBHOOKS)

        async def action(uow: mutations.UnitOfWork) -> int:
            delivery = await endpoints.redeliver(uow, actor, decode(delivery_id, "WebhookDelivery", ["deliveryId"]))
            assert delivery.id is not None
            return delivery.id

        try:
            pk = await mutations.run(info, action, operation="redeliverWebhook")
        except DomainError as error:
            return WebhookDeliveryPayload(user_errors=user_errors(error))
        return WebhookDeliveryPayload(delivery=await load_one(info, "webhook_delivery_by_id", pk))
