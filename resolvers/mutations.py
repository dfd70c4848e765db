"""Running a mutation: one unit of work, optional idempotency, typed errors."""

from collections.abc import Awaitable, Callable
from typing import Any

from schema.context import Info
from services import idempotency
from services.uow import UnitOfWork, unit_of_work

__all__ = ["Ref", "UnitOfWork", "run"]

# What a mutation's action returns: a small JSON value naming what it made or changed
# (e.g. a primary key), stored with an idempotency key and read back into a payload.
Ref = Any


async def run(
    info: Info,
    action: Callable[[UnitOfWork], Awaitable[Ref]],
    *,
    operation: str,
    idempotency_key: str | None = None,
    arguments: dict[str, Any] | None = None,
    scope: str | None = None,
) -> Ref:
    """Run `action` in one transaction; with an idempotency key, at most once per key.

    Raises DomainError (the action's, or CONFLICT for a key reused with other arguments);
    nothing is written then.
    """
    runtime = info.context.runtime
    try:
        if idempotency_key is None:
            async with unit_of_work(runtime) as uow:
                return await action(uow)
        key = idempotency.check_key(idempotency_key)
        assert scope is not None, "idempotent mutations need a scope"
        digest = idempotency.request_hash(arguments or {})
        for _ in range(2):
            try:
                async with unit_of_work(runtime) as uow:
                    stored = await idempotency.stored_response(
                        uow.db, scope=scope, operation=operation, key=key, digest=digest
                    )
                    if stored is not None:
                        return stored["ref"]
                    claimed = await idempotency.claim(uow.db, scope=scope, operation=operation, key=key, digest=digest)
                    ref = await action(uow)
                    await idempotency.remember(uow.db, claimed, {"ref": ref})
                    return ref
            except idempotency.KeyRace:
                # A concurrent call with the same key committed first: answer with its response.
                continue
        raise RuntimeError("idempotency key race did not settle")
    finally:
        # What loaders cached before the change is stale now.
        info.context.fresh_loaders()
