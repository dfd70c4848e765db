"""The event outbox: one row per transition or scorecard, written in the change's transaction."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from models.base import enum_column, time_column, utcnow
from models.enums import EventType


class Event(SQLModel, table=True):
    __tablename__ = "event"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "sequence", name="uq_event_session_sequence"),
        sa.Index("ix_event_org_id", "organization_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    session_id: int = Field(foreign_key="session.id")
    application_id: int = Field(foreign_key="application.id")
    template_id: int = Field(foreign_key="template.id")
    type: EventType = Field(sa_column=enum_column(EventType, nullable=False))
    sequence: int
    occurred_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))
    # Exactly the `data` object of the webhook body.
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
