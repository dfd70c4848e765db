"""What the GraphQL face reads of webhooks: set-based, scoped to one organization.

Deleted endpoints, and their deliveries, are not shown.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from models.webhooks import WebhookDelivery, WebhookEndpoint

R = Row[Any]
_endpoint = WebhookEndpoint.__table__
_delivery = WebhookDelivery.__table__


def _by_id(rows: Sequence[R], keys: Sequence[int]) -> list[R | None]:
    found = {row.id: row for row in rows}
    return [found.get(key) for key in keys]


def _visible_endpoints(organization_id: int) -> Select[Any]:
    return select(_endpoint).where(_endpoint.c.organization_id == organization_id, _endpoint.c.deleted_at.is_(None))


async def endpoints(db: AsyncSession, organization_id: int) -> list[R]:
    return list(await db.execute(_visible_endpoints(organization_id).order_by(_endpoint.c.id)))


async def endpoints_by_ids(db: AsyncSession, organization_id: int, ids: Sequence[int]) -> list[R | None]:
    rows = await db.execute(_visible_endpoints(organization_id).where(_endpoint.c.id.in_(ids)))
    return _by_id(list(rows), ids)


async def deliveries_by_ids(db: AsyncSession, organization_id: int, ids: Sequence[int]) -> list[R | None]:
    rows = await db.execute(
        select(_delivery)
        .join(_endpoint, _endpoint.c.id == _delivery.c.endpoint_id)
        .where(
            _delivery.c.id.in_(ids),
            _delivery.c.organization_id == organization_id,
            _endpoint.c.deleted_at.is_(None),
        )
    )
    return _by_id(list(rows), ids)


def deliveries_listing(organization_id: int, endpoint_id: int) -> Select[Any]:
    """An endpoint's deliveries (paged newest first by the caller)."""
    return select(_delivery).where(
        _delivery.c.organization_id == organization_id, _delivery.c.endpoint_id == endpoint_id
    )
