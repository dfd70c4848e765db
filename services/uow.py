"""The unit of work: one write transaction, and what to announce once it has committed.

Live messages and webhook wake-ups are queued here and sent only after COMMIT, never
before (that would announce what may still roll back) and never on rollback.
"""

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from sqlalchemy.ext.asyncio import AsyncSession

from models.db import Database
from services.live import LiveHub

logger = logging.getLogger(__name__)


@dataclass
class UnitOfWork:
    db: AsyncSession
    messages: list[tuple[str, str]] = field(default_factory=list)
    committed_event_ids: list[int] = field(default_factory=list)

    def publish_after_commit(self, channel: str, message: str) -> None:
        self.messages.append((channel, message))


@dataclass
class Runtime:
    """What services need beyond a transaction: the database, the live hub, the hooks."""

    database: Database
    live: LiveHub
    join_secret: bytes
    public_base_url: str
    # Webhook URLs may be plain http and reach private addresses (development and tests).
    webhook_allow_private_urls: bool = False
    # Called with the ids of events just committed (e.g. to wake the webhook dispatcher).
    event_hooks: list[Callable[[list[int]], None]] = field(default_factory=list)


@asynccontextmanager
async def unit_of_work(runtime: Runtime) -> AsyncIterator[UnitOfWork]:
    async with runtime.database.writer() as db:
        async with db.begin():
            uow = UnitOfWork(db)
            yield uow
    # Committed. Publishing can fail (a broker outage); the database is the record and
    # subscribers catch up from it, so that never fails the operation.
    for channel, message in uow.messages:
        await runtime.live.publish(channel, message)
    if uow.committed_event_ids:
        for hook in runtime.event_hooks:
            hook(uow.committed_event_ids)
