"""Background work: the webhook dispatcher, inside an API process or as a worker process."""

import asyncio
import logging
import signal

from app.settings import Settings
from models.db import create_database
from services.uow import Runtime
from services.webhooks.dispatcher import Dispatcher, DispatcherConfig
from services.webhooks.notify import Notifier
from services.webhooks.policy import RetryPolicy

logger = logging.getLogger("interview_api")


def dispatcher_config(settings: Settings, *, concurrency: int | None = None) -> DispatcherConfig:
    return DispatcherConfig(
        concurrency=concurrency or settings.webhook_concurrency,
        timeout=settings.webhook_timeout,
        lease=settings.webhook_claim_seconds,
        poll_interval=settings.webhook_poll_interval,
        allow_private=settings.webhook_allow_private_urls,
        policy=RetryPolicy.build(settings.webhook_retry_schedule, disable_after=settings.webhook_disable_after),
    )


def start_background(settings: Settings, runtime: Runtime) -> list[asyncio.Task[None]]:
    """Tasks to run while the process serves; cancelled at shutdown.

    On PostgreSQL every API process tells worker processes of new events (NOTIFY), so they
    need not wait for their next poll; in embedded mode the dispatcher runs here too and is
    woken directly after each commit.
    """
    tasks: list[asyncio.Task[None]] = []
    if runtime.database.is_postgres:
        notifier = Notifier(runtime.database)
        runtime.event_hooks.append(notifier.hook)
        tasks.append(asyncio.create_task(notifier.run(), name="webhook-notifier"))
    if settings.embedded_webhook_dispatcher:
        dispatcher = Dispatcher(runtime.database, dispatcher_config(settings))
        runtime.event_hooks.append(dispatcher.wake)
        tasks.append(asyncio.create_task(dispatcher.run(), name="webhook-dispatcher"))
    return tasks


async def run_worker(settings: Settings, *, concurrency: int | None = None) -> None:
    """`interview-api worker`: deliver webhooks until SIGTERM or SIGINT, then finish the
    attempts in flight. Does not migrate (the API or a deploy step does)."""
    config = dispatcher_config(settings, concurrency=concurrency)
    database = create_database(settings.database_url, pool_size=max(4, config.concurrency // 2 + 2))
    dispatcher = Dispatcher(database, config)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, dispatcher.stop)
    try:
        await dispatcher.run()
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        await database.dispose()
