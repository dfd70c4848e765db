"""Fan-out: committed events become one delivery per matching enabled endpoint.

Progress is a cursor (`webhook_cursor.event_id`: every event up to it is done) plus a
marker per event done above it (`webhook_fanout`). Each pass takes the events above the
cursor that have no marker, in id order, writes their deliveries and markers in one
transaction, and moves the cursor up when that is provably safe.

Why not simply "the highest id seen": on PostgreSQL ids come from a sequence when a row is
inserted, not when it commits, so event 11 can be visible while event 10 is still in an
open transaction that commits later. A cursor moved to 11 would skip 10 forever. Instead a
pass remembers the highest id it saw together with the xmax of its snapshot (no transaction
that could hold a lower id has an xid at or above it); a later pass moves the cursor up to
that id only once the oldest running transaction (the snapshot's xmin) has passed that
xmax, i.e. every such transaction has ended and its events are visible. Until then the
markers keep the events in between from being fanned out twice. No timing assumption is
made: a long transaction only delays the cursor, never a delivery.

On SQLite writers are serialised (BEGIN IMMEDIATE) and this pass is one of them, so every
event up to the current maximum is committed: the cursor moves straight there.
"""

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from models import DeliveryStatus, Event
from models.base import utcnow
from models.db import Database
from models.webhooks import WebhookCursor, WebhookDelivery, WebhookEndpoint, WebhookFanout
from services.webhooks.queue import relaxed_commit

CURSOR_ID = 1
BATCH_SIZE = 500

_event = Event.__table__
_endpoint = WebhookEndpoint.__table__
_delivery = WebhookDelivery.__table__
_cursor = WebhookCursor.__table__
_fanout = WebhookFanout.__table__

_XMIN = text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
_MAX_AND_XMAX = text("SELECT (SELECT max(id) FROM event), pg_snapshot_xmax(pg_current_snapshot())::text::bigint")


def _insert(db: AsyncSession, table: Any) -> Any:
    """INSERT with ON CONFLICT DO NOTHING support for the session's dialect."""
    dialect = db.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


async def ensure_cursor(database: Database) -> None:
    """Create the cursor row if this database has none yet."""
    async with database.writer() as db, db.begin():
        await db.execute(
            _insert(db, _cursor)
            .values(id=CURSOR_ID, event_id=0, updated_at=utcnow())
            .on_conflict_do_nothing(index_elements=["id"])
        )


def _unfanned_events(after_id: int) -> Any:
    marked = exists().where(_fanout.c.event_id == _event.c.id)
    return select(_event).where(_event.c.id > after_id, ~marked).order_by(_event.c.id)


async def has_new_events(database: Database) -> bool:
    """A cheap read: is there anything for `fan_out` to do?"""
    async with database.read() as db:
        cursor_id = await db.scalar(select(_cursor.c.event_id).where(_cursor.c.id == CURSOR_ID))
        if cursor_id is None:
            return True
        query = _unfanned_events(cursor_id).with_only_columns(_event.c.id).limit(1)
        return (await db.execute(query)).first() is not None


async def has_enabled_endpoints(database: Database) -> bool:
    """Is any endpoint (of any organization) enabled? Without one, fan-out only marks events."""
    async with database.read() as db:
        query = select(_endpoint.c.id).where(_endpoint.c.enabled.is_(True), _endpoint.c.deleted_at.is_(None)).limit(1)
        return (await db.execute(query)).first() is not None


def _matches(endpoint: Any, event: Any) -> bool:
    return (
        endpoint.organization_id == event.organization_id
        and (not endpoint.event_types or event.type.value in endpoint.event_types)
        # An endpoint hears of what happened after it was created, not of older events.
        and endpoint.created_at <= event.occurred_at
    )


async def _write_deliveries(db: AsyncSession, events: list[Any], now: datetime) -> int:
    organization_ids = {event.organization_id for event in events}
    endpoints = list(
        await db.execute(
            select(_endpoint).where(
                _endpoint.c.organization_id.in_(organization_ids),
                _endpoint.c.enabled.is_(True),
                _endpoint.c.deleted_at.is_(None),
            )
        )
    )
    by_organization: dict[int, list[Any]] = defaultdict(list)
    for endpoint in endpoints:
        by_organization[endpoint.organization_id].append(endpoint)
    rows = [
        {
            "organization_id": event.organization_id,
            "event_id": event.id,
            "endpoint_id": endpoint.id,
            "session_id": event.session_id,
            "sequence": event.sequence,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "schedule_step": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for event in events
        for endpoint in by_organization.get(event.organization_id, [])
        if _matches(endpoint, event)
    ]
    if rows:
        await db.execute(_insert(db, _delivery).on_conflict_do_nothing(index_elements=["event_id", "endpoint_id"]), rows)
    await db.execute(
        _insert(db, _fanout).on_conflict_do_nothing(index_elements=["event_id"]), [{"event_id": e.id} for e in events]
    )
    return len(rows)


async def fan_out(database: Database, *, batch_size: int = BATCH_SIZE) -> int:
    """One pass: deliveries for up to `batch_size` new events. Returns how many events it
    took (so the caller can run again at once when the batch was full). Another worker's
    pass in progress makes this one return 0 without waiting."""
    now = utcnow()
    async with database.writer() as db, db.begin():
        await relaxed_commit(db)  # a lost fan-out is simply done again (see queue.relaxed_commit)
        query = select(_cursor).where(_cursor.c.id == CURSOR_ID)
        if database.is_postgres:
            query = query.with_for_update(skip_locked=True)
        cursor = (await db.execute(query)).first()
        if cursor is None:
            return 0

        # Up to which id every event is committed and visible to the statements below.
        safe_upto: int | None = None
        if database.is_postgres and cursor.pending_xmax is not None:
            if int(await db.scalar(_XMIN) or 0) >= cursor.pending_xmax:
                safe_upto = cursor.pending_event_id

        events = list(await db.execute(_unfanned_events(cursor.event_id).limit(batch_size)))
        if events:
            await _write_deliveries(db, events, now)

        if database.is_sqlite:
            safe_upto = await db.scalar(select(func.max(_event.c.id)))
        values: dict[str, Any] = {}
        new_event_id = cursor.event_id
        if safe_upto is not None:
            # A full batch may have left unmarked events below safe_upto: stop at its end.
            done_upto = min(safe_upto, events[-1].id) if len(events) == batch_size else safe_upto
            new_event_id = max(cursor.event_id, done_upto)
        if new_event_id != cursor.event_id:
            values["event_id"] = new_event_id
            await db.execute(_fanout.delete().where(_fanout.c.event_id <= new_event_id))
        if database.is_postgres and (cursor.pending_xmax is None or safe_upto is not None):
            max_id, xmax = (await db.execute(_MAX_AND_XMAX)).one()
            pending = max_id is not None and max_id > new_event_id
            values["pending_event_id"] = max_id if pending else None
            values["pending_xmax"] = xmax if pending else None
        changes = {key: value for key, value in values.items() if getattr(cursor, key) != value}
        if changes:
            await db.execute(update(_cursor).where(_cursor.c.id == CURSOR_ID).values(**changes, updated_at=now))
        return len(events)
