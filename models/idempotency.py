"""Stored first responses of mutations called with an idempotency key."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from models.base import time_column, utcnow


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_key"
    __table_args__ = (
        sa.UniqueConstraint("scope", "operation", "key", name="uq_idempotency_scope_key"),
        sa.Index("ix_idempotency_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # "org:<id>" for authenticated callers, "public" for the public apply flow.
    scope: str = Field(max_length=64)
    operation: str = Field(max_length=64)
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    # What the operation returned: {"result": ..., "errors": [...]}, enough to answer again.
    response: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))
