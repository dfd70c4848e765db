"""The delivery queue: claiming due deliveries and recording what each attempt came to.

A claim is a lease (`claimed_by`, `claimed_until`) written in a short transaction of its
own; the HTTP attempt runs outside any transaction, and its result is recorded in another
one. A worker killed mid-attempt never records: its lease runs out and any worker claims
the delivery again (the receiver may then see it twice, with the same webhook-id). The
lease outlasts the longest attempt (15 s), so a live worker's delivery is never sent by a
second worker at the same time.

Claiming takes, oldest due first, PENDING deliveries of enabled endpoints whose lease is
free and that have no earlier-sequence delivery of the same endpoint and session still
PENDING: events of one session reach an endpoint in order, a later one waiting while an
earlier one is retrying. On PostgreSQL the candidate rows are locked FOR UPDATE SKIP
LOCKED, so concurrent workers take disjoint sets without waiting for each other.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from models import DeliveryStatus, Event
from models.db import Database
from models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from services.ids import to_global_id
from services.webhooks.policy import RetryPolicy
from services.webhooks.sender import AttemptResult
from services.webhooks.signing import event_body, secrets_in_use

_delivery = WebhookDelivery.__table__
_endpoint = WebhookEndpoint.__table__
_event = Event.__table__
_attempt = WebhookAttempt.__table__


@dataclass(frozen=True)
class Job:
    """A claimed delivery with everything needed to send it."""

    delivery_id: int
    endpoint_id: int
    event_id: int
    session_id: int
    sequence: int
    # Failed attempts in a row so far: where in the retry schedule the next failure lands.
    schedule_step: int
    claim: str
    url: str
    secrets: tuple[str, ...]
    msg_id: str
    body: bytes


@dataclass(frozen=True)
class Recorded:
    """What recording an attempt decided."""

    status: DeliveryStatus
    next_attempt_at: datetime | None
    endpoint_disabled: str | None
    claim_lost: bool


def _due_filter(now: datetime) -> list[object]:
    return [
        _delivery.c.status == DeliveryStatus.PENDING,
        _delivery.c.next_attempt_at <= now,
        or_(_delivery.c.claimed_until.is_(None), _delivery.c.claimed_until < now),
    ]


def _endpoint_open() -> list[object]:
    return [_endpoint.c.enabled.is_(True), _endpoint.c.deleted_at.is_(None)]


def _first_pending_of_its_session() -> object:
    """The delivery is the lowest-sequence PENDING one of its endpoint and session: one
    probe per candidate through the partial index ix_delivery_pending_order (once the table
    has statistics, see `ensure_statistics`)."""
    earlier = _delivery.alias("earlier")
    first_pending = (
        select(earlier.c.sequence)
        .where(
            earlier.c.endpoint_id == _delivery.c.endpoint_id,
            earlier.c.session_id == _delivery.c.session_id,
            earlier.c.status == DeliveryStatus.PENDING,
        )
        .order_by(earlier.c.sequence)
        .limit(1)
        .scalar_subquery()
    )
    return _delivery.c.sequence == first_pending


async def relaxed_commit(db: AsyncSession) -> None:
    """On PostgreSQL, commit this transaction without waiting for the WAL flush.

    Safe for the dispatcher's own bookkeeping (claims, outcomes, fan-out): a crash of the
    database can only lose the last of these writes, which makes deliveries be claimed and
    sent again (at least once, never lost); the events themselves were committed durably
    by the transactions that wrote them. It saves a disk flush per transaction.
    """
    if db.get_bind().dialect.name == "postgresql":
        await db.execute(text("SET LOCAL synchronous_commit TO OFF"))


# Below this many deliveries a table without statistics plans well enough.
_ANALYZE_MIN_ROWS = 200


async def ensure_statistics(database: Database) -> bool:
    """On PostgreSQL, ANALYZE the delivery table if it has never been analyzed and has grown;
    True once it has statistics (then there is no need to ask again).

    Without statistics (a new database, before autovacuum's first visit, up to a minute
    later) the planner probes the head of each session through the wrong index, and a claim
    costs time quadratic in the backlog; with them it takes the partial order index.
    """
    if not database.is_postgres:
        return True
    async with database.writer() as db, db.begin():
        analyzed = await db.scalar(
            text(
                "SELECT last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL"
                " FROM pg_stat_user_tables WHERE relid = 'webhook_delivery'::regclass"
            )
        )
        if analyzed is None or analyzed:
            return True
        rows = await db.scalar(
            text("SELECT count(*) FROM (SELECT 1 FROM webhook_delivery LIMIT :n) AS enough"), {"n": _ANALYZE_MIN_ROWS}
        )
        if (rows or 0) < _ANALYZE_MIN_ROWS:
            return False
        await db.execute(text("ANALYZE webhook_delivery"))
        return True


async def has_due(database: Database, now: datetime) -> bool:
    """A cheap read: is any delivery due (before taking the write lock to claim)?"""
    async with database.read() as db:
        query = (
            select(_delivery.c.id)
            .join(_endpoint, _endpoint.c.id == _delivery.c.endpoint_id)
            .where(*_due_filter(now), *_endpoint_open())
            .limit(1)
        )
        return (await db.execute(query)).first() is not None


async def claim(database: Database, *, worker: str, limit: int, lease: timedelta, now: datetime) -> list[Job]:
    """Lease up to `limit` due deliveries to `worker` and load what sending them needs."""
    if limit <= 0:
        return []
    candidates = (
        select(_delivery.c.id)
        .join(_endpoint, _endpoint.c.id == _delivery.c.endpoint_id)
        .where(*_due_filter(now), *_endpoint_open(), _first_pending_of_its_session())
        .order_by(_delivery.c.next_attempt_at, _delivery.c.id)
        .limit(limit)
    )
    if database.is_postgres:
        candidates = candidates.with_for_update(of=_delivery, skip_locked=True)
    # A CTE, so PostgreSQL evaluates the locking SELECT exactly once.
    due = candidates.cte("due")
    claim_token = worker
    async with database.writer() as db, db.begin():
        await relaxed_commit(db)
        claimed = list(
            await db.scalars(
                update(_delivery)
                .where(_delivery.c.id.in_(select(due.c.id)))
                .values(claimed_by=claim_token, claimed_until=now + lease)
                .returning(_delivery.c.id)
            )
        )
    if not claimed:
        return []
    async with database.read() as db:
        rows = list(
            await db.execute(
                select(
                    _delivery.c.id,
                    _delivery.c.endpoint_id,
                    _delivery.c.event_id,
                    _delivery.c.session_id,
                    _delivery.c.sequence,
                    _delivery.c.schedule_step,
                    _endpoint.c.url,
                    _endpoint.c.secret,
                    _endpoint.c.previous_secret,
                    _endpoint.c.previous_secret_expires_at,
                    _event.c.type,
                    _event.c.occurred_at,
                    _event.c.data,
                )
                .join(_endpoint, _endpoint.c.id == _delivery.c.endpoint_id)
                .join(_event, _event.c.id == _delivery.c.event_id)
                .where(_delivery.c.id.in_(claimed))
                .order_by(_delivery.c.next_attempt_at, _delivery.c.id)
            )
        )
    return [
        Job(
            delivery_id=row.id,
            endpoint_id=row.endpoint_id,
            event_id=row.event_id,
            session_id=row.session_id,
            sequence=row.sequence,
            schedule_step=row.schedule_step,
            claim=claim_token,
            url=row.url,
            secrets=tuple(secrets_in_use(row.secret, row.previous_secret, row.previous_secret_expires_at, now)),
            msg_id=to_global_id("Event", row.event_id),
            body=event_body(row.type, row.occurred_at, row.data),
        )
        for row in rows
    ]


def _next_state(
    result: AttemptResult, schedule_step: int, policy: RetryPolicy, now: datetime
) -> tuple[DeliveryStatus, datetime | None, int]:
    """(status, next attempt, schedule step) after this attempt."""
    if result.ok:
        return DeliveryStatus.SUCCEEDED, None, schedule_step
    step = schedule_step + 1
    delay = policy.next_delay(step, result.retry_after)
    if delay is None:
        return DeliveryStatus.FAILED, None, step
    return DeliveryStatus.PENDING, now + timedelta(seconds=delay), step


@dataclass(frozen=True)
class Outcome:
    """A finished attempt, waiting to be recorded."""

    job: Job
    result: AttemptResult
    attempted_at: datetime


async def record(database: Database, outcomes: Sequence[Outcome], policy: RetryPolicy, *, now: datetime) -> list[Recorded]:
    """Store the attempts, move each delivery on (done, retry later, or failed for good)
    and release its lease, all in one transaction; and keep each endpoint's health: a
    success clears its failing streak, a 410 disables it at once, and so does a streak of
    failures as long as `disable_after`."""
    recorded: list[Recorded] = []
    async with database.writer() as db, db.begin():
        await relaxed_commit(db)
        states = [_next_state(o.result, o.job.schedule_step, policy, now) for o in outcomes]
        await db.execute(
            _attempt.insert(),
            [
                {
                    "delivery_id": o.job.delivery_id,
                    "attempted_at": o.attempted_at,
                    "response_status": o.result.status_code,
                    "latency_ms": o.result.latency_ms,
                    "error": o.result.error[:2000] if o.result.error else None,
                    "next_attempt_at": next_attempt_at,
                    "details": {"worker": o.job.claim, "retryAfter": o.result.retry_after},
                }
                for o, (_, next_attempt_at, _) in zip(outcomes, states, strict=True)
            ],
        )
        for outcome, (status, next_attempt_at, step) in zip(outcomes, states, strict=True):
            result = outcome.result
            updated: CursorResult = await db.execute(  # type: ignore[assignment]
                update(_delivery)
                .where(_delivery.c.id == outcome.job.delivery_id, _delivery.c.claimed_by == outcome.job.claim)
                .values(
                    status=status,
                    attempts=_delivery.c.attempts + 1,
                    schedule_step=step,
                    response_status=result.status_code,
                    last_error=result.error[:2000] if result.error else None,
                    last_latency_ms=result.latency_ms,
                    next_attempt_at=next_attempt_at,
                    delivered_at=now if result.ok else _delivery.c.delivered_at,
                    claimed_by=None,
                    claimed_until=None,
                )
            )
            recorded.append(Recorded(status, next_attempt_at, None, claim_lost=updated.rowcount == 0))
        by_endpoint: dict[int, list[AttemptResult]] = defaultdict(list)
        for outcome in outcomes:
            by_endpoint[outcome.job.endpoint_id].append(outcome.result)
        disabled: dict[int, str | None] = {}
        for endpoint_id, results in by_endpoint.items():
            disabled[endpoint_id] = await _endpoint_health(db, endpoint_id, results, policy, now)
    return [
        replace(r, endpoint_disabled=disabled[o.job.endpoint_id]) for o, r in zip(outcomes, recorded, strict=True)
    ]


async def _endpoint_health(
    db: AsyncSession, endpoint_id: int, results: list[AttemptResult], policy: RetryPolicy, now: datetime
) -> str | None:
    """Update the endpoint's failing streak from these results (in the order they came);
    the reason when they disabled it."""
    this = _endpoint.c.id == endpoint_id
    if results[-1].ok:
        await db.execute(update(_endpoint).where(this, _endpoint.c.failing_since.is_not(None)).values(failing_since=None))
        condition = None
    else:
        await db.execute(update(_endpoint).where(this, _endpoint.c.failing_since.is_(None)).values(failing_since=now))
        days = policy.disable_after.total_seconds() / 86400
        reason = f"every attempt failed for {days:g} days"
        condition = this & (_endpoint.c.failing_since <= now - policy.disable_after)
    if any(result.status_code == 410 for result in results):
        reason = "the endpoint answered 410 Gone"
        condition = this
    if condition is None:
        return None
    disabled: CursorResult = await db.execute(  # type: ignore[assignment]
        update(_endpoint).where(condition, _endpoint.c.enabled.is_(True)).values(enabled=False, disabled_reason=reason)
    )
    return reason if disabled.rowcount else None
