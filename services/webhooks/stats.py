"""What an operator watches: queue depth, the oldest pending delivery, failures per endpoint."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, select

from models import DeliveryStatus
from models.db import Database
from models.webhooks import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("interview_api.webhooks")

_delivery = WebhookDelivery.__table__
_endpoint = WebhookEndpoint.__table__


@dataclass(frozen=True)
class EndpointBacklog:
    endpoint_id: int
    pending: int
    # Pending deliveries that have failed at least once (retrying).
    retrying: int
    oldest_pending_at: datetime


@dataclass(frozen=True)
class QueueStats:
    """The PENDING deliveries of enabled endpoints (disabled ones wait to be re-enabled)."""

    depth: int
    oldest_pending_age: float | None
    endpoints: list[EndpointBacklog] = field(default_factory=list)


async def queue_stats(database: Database, now: datetime) -> QueueStats:
    async with database.read() as db:
        rows = list(
            await db.execute(
                select(
                    _delivery.c.endpoint_id,
                    func.count(),
                    func.sum(case((_delivery.c.attempts > 0, 1), else_=0)),
                    func.min(_delivery.c.created_at),
                )
                .join(_endpoint, _endpoint.c.id == _delivery.c.endpoint_id)
                .where(
                    _delivery.c.status == DeliveryStatus.PENDING,
                    _endpoint.c.enabled.is_(True),
                    _endpoint.c.deleted_at.is_(None),
                )
                .group_by(_delivery.c.endpoint_id)
                .order_by(_delivery.c.endpoint_id)
            )
        )
    endpoints = [EndpointBacklog(row[0], int(row[1]), int(row[2] or 0), row[3]) for row in rows]
    oldest = min((e.oldest_pending_at for e in endpoints), default=None)
    return QueueStats(
        depth=sum(e.pending for e in endpoints),
        oldest_pending_age=(now - oldest).total_seconds() if oldest is not None else None,
        endpoints=endpoints,
    )


@dataclass
class AttemptCounters:
    """Attempts per endpoint since the last report, kept by a dispatcher."""

    succeeded: dict[int, int] = field(default_factory=dict)
    failed: dict[int, int] = field(default_factory=dict)

    def count(self, endpoint_id: int, ok: bool) -> None:
        target = self.succeeded if ok else self.failed
        target[endpoint_id] = target.get(endpoint_id, 0) + 1

    def reset(self) -> None:
        self.succeeded.clear()
        self.failed.clear()


def log_stats(worker: str, stats: QueueStats, counters: AttemptCounters) -> None:
    """One line for the queue, and one per endpoint that failed or has a backlog."""
    age = f"{stats.oldest_pending_age:.1f}s" if stats.oldest_pending_age is not None else "-"
    logger.info(
        "webhooks worker=%s queue_depth=%d oldest_pending_age=%s sent_ok=%d sent_failed=%d",
        worker,
        stats.depth,
        age,
        sum(counters.succeeded.values()),
        sum(counters.failed.values()),
    )
    backlog = {e.endpoint_id: e for e in stats.endpoints}
    for endpoint_id in sorted(set(counters.failed) | {e.endpoint_id for e in stats.endpoints if e.retrying}):
        entry = backlog.get(endpoint_id)
        logger.warning(
            "webhooks endpoint=%d failures=%d successes=%d pending=%d retrying=%d",
            endpoint_id,
            counters.failed.get(endpoint_id, 0),
            counters.succeeded.get(endpoint_id, 0),
            entry.pending if entry else 0,
            entry.retrying if entry else 0,
        )
