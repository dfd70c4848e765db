"""Idempotency keys: a repeated mutation returns its first response instead of acting twice.

The key row is written first, in the same transaction as the mutation, so either both
commit or neither, and a concurrent repeat waits on the unique key, then reads the
winner's response. Refused operations (userErrors) store nothing: they wrote nothing, so a repeat
simply runs again. Keys are kept 24 hours.
"""

import hashlib
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import IdempotencyKey
from models.base import utcnow
from services import validation
from services.errors import DomainError, ErrorCode

RETENTION = timedelta(hours=24)


class KeyRace(Exception):
    """A concurrent call with the same key holds or committed it first."""


def request_hash(arguments: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(arguments, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def check_key(key: str) -> str:
    return validation.text(key, ["idempotencyKey"], max_length=validation.IDEMPOTENCY_KEY_MAX)


async def stored_response(
    db: AsyncSession, *, scope: str, operation: str, key: str, digest: str
) -> dict[str, Any] | None:
    """The first response for this key, None if there is none (or it expired); CONFLICT if
    the key was used with other arguments."""
    row = await db.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.scope == scope, IdempotencyKey.operation == operation, IdempotencyKey.key == key
        )
    )
    if row is None:
        return None
    if row.created_at < utcnow() - RETENTION:
        await db.delete(row)
        await db.flush()
        return None
    if row.request_hash != digest:
        raise DomainError.one(
            ErrorCode.CONFLICT, "this idempotency key was already used with other arguments", ["idempotencyKey"]
        )
    return row.response


async def claim(db: AsyncSession, *, scope: str, operation: str, key: str, digest: str) -> IdempotencyKey:
    """Insert the key before acting. A concurrent call with the same key waits here on the
    unique index until this transaction ends, then fails with IntegrityError and reads
    the stored response instead of acting a second time."""
    row = IdempotencyKey(scope=scope, operation=operation, key=key, request_hash=digest, response={})
    try:
        async with db.begin_nested():  # only this insert's conflict means "a repeat raced us"
            db.add(row)
            await db.flush()
    except IntegrityError as error:
        raise KeyRace from error
    return row


async def remember(db: AsyncSession, row: IdempotencyKey, response: dict[str, Any]) -> None:
    row.response = response
    db.add(row)
    await db.flush()


async def purge_expired(db: AsyncSession) -> int:
    result = await db.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - RETENTION))
    return int(getattr(result, "rowcount", 0) or 0)
