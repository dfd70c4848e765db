"""Interview templates and their ordered stages."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import time_column, utcnow


class Template(SQLModel, table=True):
    __tablename__ = "template"
    __table_args__ = (sa.Index("ix_template_org_id", "organization_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    name: str = Field(max_length=200)
    # Globally unique: the public apply flow finds a template by slug alone.
    slug: str = Field(max_length=80, sa_column_kwargs={"unique": True})
    public_apply: bool = False
    require_approval: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))


class Stage(SQLModel, table=True):
    __tablename__ = "stage"
    __table_args__ = (sa.UniqueConstraint("template_id", "position", name="uq_stage_template_position"),)

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="template.id")
    position: int
    name: str = Field(max_length=200)
    pass_threshold: float
