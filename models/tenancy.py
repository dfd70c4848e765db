"""Organizations (tenants), their API keys, and server-wide settings kept in the database."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_column, time_column, utcnow
from models.enums import Role


class Organization(SQLModel, table=True):
    __tablename__ = "organization"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))


class ApiKey(SQLModel, table=True):
    """A bearer credential. Only a SHA-256 of the token is stored; `prefix` finds the row."""

    __tablename__ = "api_key"
    __table_args__ = (sa.Index("ix_api_key_prefix", "prefix"), sa.Index("ix_api_key_org", "organization_id"))

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    name: str = Field(max_length=200)
    role: Role = Field(sa_column=enum_column(Role, nullable=False))
    prefix: str = Field(max_length=32)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))


class ServerSecret(SQLModel, table=True):
    """Secrets generated once per deployment when none is configured (e.g. the join-token key)."""

    __tablename__ = "server_secret"

    name: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)
