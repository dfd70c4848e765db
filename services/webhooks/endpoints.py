"""The admin operations on webhook endpoints and deliveries (MANAGE_WEBHOOKS, i.e. ADMIN).

URLs are checked (and resolved) before the first statement of the transaction, so a slow
DNS answer never holds the database's write lock.
"""

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select

from models import DeliveryStatus, EventType
from models.base import utcnow
from models.webhooks import WebhookDelivery, WebhookEndpoint
from services import validation
from services.auth import Actor, Permission
from services.errors import DomainError, ErrorCode, invalid, not_found
from services.uow import UnitOfWork
from services.webhooks.signing import new_secret
from services.webhooks.urls import Resolver, resolve, validate_endpoint_url

DESCRIPTION_MAX = 500
# How long the previous secret keeps signing after a rotation.
ROTATION_GRACE = timedelta(hours=24)


def _event_type_names(event_types: Sequence[EventType] | None) -> list[str]:
    return sorted({event_type.value for event_type in event_types or ()})


async def get_endpoint(uow: UnitOfWork, actor: Actor, endpoint_id: int, *, field: list[str]) -> WebhookEndpoint:
    """The endpoint, locked, if it exists in the actor's organization and is not deleted."""
    endpoint = await uow.db.scalar(
        select(WebhookEndpoint)
        .where(
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.organization_id == actor.organization_id,
            WebhookEndpoint.deleted_at.is_(None),  # type: ignore[union-attr]
        )
        .with_for_update()
    )
    if endpoint is None:
        raise not_found("WebhookEndpoint", field)
    return endpoint


async def create_endpoint(
    uow: UnitOfWork,
    actor: Actor,
    *,
    url: str,
    description: str | None,
    event_types: Sequence[EventType] | None,
    allow_private: bool,
    resolver: Resolver = resolve,
) -> tuple[WebhookEndpoint, str]:
    """A new enabled endpoint and its signing secret (shown to the caller once)."""
    actor.require(Permission.MANAGE_WEBHOOKS)
    cleaned_url = await validate_endpoint_url(url, ["input", "url"], allow_private=allow_private, resolver=resolver)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        organization_id=actor.organization_id,
        url=cleaned_url,
        description=validation.optional_text(description, ["input", "description"], max_length=DESCRIPTION_MAX),
        event_types=_event_type_names(event_types),
        secret=secret,
        created_at=utcnow(),
    )
    uow.db.add(endpoint)
    await uow.db.flush()
    return endpoint, secret


async def update_endpoint(
    uow: UnitOfWork,
    actor: Actor,
    endpoint_id: int,
    *,
    url: str | None = None,
    description: str | None = None,
    event_types: Sequence[EventType] | None = None,
    enabled: bool | None = None,
    allow_private: bool,
    resolver: Resolver = resolve,
) -> WebhookEndpoint:
    """Change what is given (None leaves a field alone; an empty description clears it,
    an empty list of event types means every type). Re-enabling starts a fresh failure streak."""
    actor.require(Permission.MANAGE_WEBHOOKS)
    cleaned_url = (
        await validate_endpoint_url(url, ["input", "url"], allow_private=allow_private, resolver=resolver)
        if url is not None
        else None
    )
    endpoint = await get_endpoint(uow, actor, endpoint_id, field=["id"])
    if cleaned_url is not None:
        endpoint.url = cleaned_url
    if description is not None:
        endpoint.description = validation.optional_text(description, ["input", "description"], max_length=DESCRIPTION_MAX)
    if event_types is not None:
        endpoint.event_types = _event_type_names(event_types)
    if enabled is True and not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_reason = None
        endpoint.failing_since = None
    elif enabled is False and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_reason = "disabled by an administrator"
    uow.db.add(endpoint)
    await uow.db.flush()
    return endpoint


async def delete_endpoint(uow: UnitOfWork, actor: Actor, endpoint_id: int) -> int:
    """Hide the endpoint and stop its deliveries (the rows stay: attempts refer to them)."""
    actor.require(Permission.MANAGE_WEBHOOKS)
    endpoint = await get_endpoint(uow, actor, endpoint_id, field=["id"])
    endpoint.deleted_at = utcnow()
    endpoint.enabled = False
    endpoint.disabled_reason = "deleted"
    uow.db.add(endpoint)
    await uow.db.flush()
    return endpoint_id


async def rotate_secret(uow: UnitOfWork, actor: Actor, endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """A new secret; the one it replaces keeps signing too for 24 hours."""
    actor.require(Permission.MANAGE_WEBHOOKS)
    endpoint = await get_endpoint(uow, actor, endpoint_id, field=["id"])
    secret = new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = utcnow() + ROTATION_GRACE
    endpoint.secret = secret
    uow.db.add(endpoint)
    await uow.db.flush()
    return endpoint, secret


async def redeliver(uow: UnitOfWork, actor: Actor, delivery_id: int) -> WebhookDelivery:
    """Send the delivery's event again now: a new attempt with the same webhook-id, and a
    fresh retry schedule if it fails. Refused while an attempt is in flight."""
    actor.require(Permission.MANAGE_WEBHOOKS)
    delivery = await uow.db.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.organization_id == actor.organization_id)
        .with_for_update()
    )
    if delivery is None:
        raise not_found("WebhookDelivery", ["deliveryId"])
    endpoint = await get_endpoint(uow, actor, delivery.endpoint_id, field=["deliveryId"])
    if not endpoint.enabled:
        raise invalid("the endpoint is disabled; enable it first", ["deliveryId"])
    now = utcnow()
    if delivery.claimed_until is not None and delivery.claimed_until > now:
        raise DomainError.one(ErrorCode.CONFLICT, "an attempt of this delivery is in flight", ["deliveryId"])
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.schedule_step = 0
    uow.db.add(delivery)
    await uow.db.flush()
    return delivery
