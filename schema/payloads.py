"""Mutation payloads: the changed object, or the userErrors that explain a refusal."""

import strawberry

from schema.errors import UserError
from schema.types.accounts import ApiKey
from schema.types.applications import Application
from schema.types.sessions import AuthenticitySignal, Session, TranscriptSegment
from schema.types.templates import Template
from schema.types.webhooks import WebhookDelivery, WebhookEndpoint


@strawberry.type
class TemplatePayload:
    template: Template | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ApplicationPayload:
    application: Application | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SessionPayload:
    session: Session | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TranscriptPayload:
    segments: list[TranscriptSegment] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AuthenticitySignalPayload:
    signal: AuthenticitySignal | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyPayload:
    api_key: ApiKey | None = None
    token: str | None = strawberry.field(default=None, description="The token itself, returned only here.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(
        default=None, description="The signing secret (whsec_...), returned only on create and rotate."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
