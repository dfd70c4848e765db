"""Webhook endpoints, the deliveries of events to them, and the dispatcher's bookkeeping."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from models.base import enum_column, time_column, utcnow
from models.enums import DeliveryStatus


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"
    __table_args__ = (sa.Index("ix_webhook_endpoint_org", "organization_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    url: str = Field(max_length=2048)
    description: str | None = Field(default=None, max_length=500)
    # Names of EventType values; empty means every type.
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=500)
    secret: str = Field(max_length=100)
    # During a rotation the old secret signs too, until previous_secret_expires_at.
    previous_secret: str | None = Field(default=None, max_length=100)
    previous_secret_expires_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    # Set at the first failure after a success; cleared by a success. Drives auto-disable.
    failing_since: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))
    # Deleting keeps the row (its deliveries and attempts refer to it) but hides it everywhere.
    deleted_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: the unit that is claimed, sent, retried and shown."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "endpoint_id", name="uq_delivery_event_endpoint"),
        # What is due, oldest first. Both indexes on pending rows are partial: they stay as
        # small as the queue, and with no index led by `status` the planner cannot take one
        # for the probe below before statistics exist (it did, and the probe went quadratic).
        sa.Index(
            "ix_delivery_due",
            "next_attempt_at",
            postgresql_where=sa.text("status = 'PENDING'"),
            sqlite_where=sa.text("status = 'PENDING'"),
        ),
        sa.Index("ix_delivery_endpoint_id", "endpoint_id", "id"),
        # The claim's probe: the first pending sequence of this endpoint and session.
        sa.Index(
            "ix_delivery_pending_order",
            "endpoint_id",
            "session_id",
            "sequence",
            postgresql_where=sa.text("status = 'PENDING'"),
            sqlite_where=sa.text("status = 'PENDING'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    event_id: int = Field(foreign_key="event.id")
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id")
    # Copied from the event so per-(endpoint, session) ordering needs no join.
    session_id: int
    sequence: int
    status: DeliveryStatus = Field(sa_column=enum_column(DeliveryStatus, nullable=False))
    attempts: int = 0
    # Failed attempts since the delivery was created or last redelivered: the position in
    # the retry schedule (a redelivery starts the schedule over).
    schedule_step: int = 0
    response_status: int | None = None
    last_error: str | None = Field(default=None, max_length=2000)
    last_latency_ms: int | None = None
    next_attempt_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    delivered_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    # A worker's claim; expires so a killed worker's delivery is retried by another.
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))


class WebhookAttempt(SQLModel, table=True):
    """One HTTP attempt of a delivery: what was sent back and when the next try is due."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (sa.Index("ix_attempt_delivery", "delivery_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id")
    attempted_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))
    response_status: int | None = None
    latency_ms: int | None = None
    error: str | None = Field(default=None, max_length=2000)
    next_attempt_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    details: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class WebhookCursor(SQLModel, table=True):
    """The fan-out's progress through the event table (a single row, id 1).

    Every event with id <= `event_id` has been turned into deliveries. Events above it may
    have been too: `webhook_fanout` marks those. On PostgreSQL ids can commit out of order,
    so the cursor only moves up to `pending_event_id` once every transaction that was
    running when that id was read has ended (`pending_xmax`, a snapshot's xmax, is below
    the oldest running transaction id).
    """

    __tablename__ = "webhook_cursor"

    id: int = Field(primary_key=True)
    event_id: int = 0
    pending_event_id: int | None = None
    pending_xmax: int | None = Field(default=None, sa_column=Column(sa.BigInteger, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))


class WebhookFanout(SQLModel, table=True):
    """An event above the cursor that has already been fanned out (pruned as the cursor passes)."""

    __tablename__ = "webhook_fanout"

    event_id: int = Field(primary_key=True, foreign_key="event.id", sa_column_kwargs={"autoincrement": False})
