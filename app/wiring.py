"""Starting and stopping what a process needs: database, live hub, background tasks."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from app.background import start_background
from app.settings import Settings
from models.db import create_database
from models.migrate import upgrade_async
from services import auth, server_secrets
from services.auth import Actor
from services.live import LiveHub
from services.uow import Runtime

logger = logging.getLogger("interview_api")

# How long a resolved API key is trusted before it is looked up again. Revocation reaches
# this process at once (the cache is cleared) and other processes within this time.
AUTH_CACHE_SECONDS = 5.0


@dataclass
class Services:
    settings: Settings
    runtime: Runtime
    _auth_cache: dict[str, tuple[float, Actor | None]] = field(default_factory=dict)

    async def authenticate(self, token: str) -> Actor | None:
        now = time.monotonic()
        cached = self._auth_cache.get(token)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self.runtime.database.read() as db:
            actor = await auth.authenticate(db, token)
        if len(self._auth_cache) > 10_000:
            self._auth_cache.clear()
        self._auth_cache[token] = (now + AUTH_CACHE_SECONDS, actor)
        return actor

    def forget_credentials(self) -> None:
        self._auth_cache.clear()


async def prepare_database(settings: Settings) -> None:
    """Migrate (when configured) and make sure the bootstrap admin key exists."""
    if settings.migrate_on_start:
        await upgrade_async(settings.database_url)
    if settings.bootstrap_admin_token:
        database = create_database(settings.database_url, pool_size=1)
        try:
            async with database.writer() as db, db.begin():
                await auth.ensure_bootstrap_admin(db, settings.bootstrap_admin_token)
        finally:
            await database.dispose()


@asynccontextmanager
async def start_services(settings: Settings) -> AsyncIterator[Services]:
    await prepare_database(settings)
    database = create_database(settings.database_url)
    live = LiveHub(settings.broadcast_url, queue_size=settings.live_queue_size, channel_prefix=settings.live_channel_prefix)
    tasks: list[asyncio.Task[None]] = []
    try:
        secret = settings.secret_key or await server_secrets.get_or_create(database, "join_token_key")
        await live.connect()
        runtime = Runtime(
            database=database,
            live=live,
            join_secret=secret.encode(),
            public_base_url=settings.public_base_url,
            webhook_allow_private_urls=settings.webhook_allow_private_urls,
        )
        services = Services(settings=settings, runtime=runtime)
        tasks = start_background(settings, runtime)
        yield services
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        await live.disconnect()
        await database.dispose()
