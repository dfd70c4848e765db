"""Finding one row of the caller's organization, optionally locked for update."""

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ApiKey, Application, Session, Template
from services.auth import Actor
from services.errors import not_found

_Scoped = TypeVar("_Scoped", Session, Application, Template, ApiKey)


async def get_scoped(
    db: AsyncSession, model: type[_Scoped], pk: int, actor: Actor, *, field: list[str], lock: bool = False
) -> _Scoped:
    """The row if it exists in the actor's organization, else NOT_FOUND (never another tenant's)."""
    query = select(model).where(model.id == pk, model.organization_id == actor.organization_id)  # type: ignore[arg-type]
    if lock:
        # FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers.
        query = query.with_for_update()
    row = (await db.scalars(query)).one_or_none()
    if row is None:
        raise not_found(model.__name__, field)
    return row
