"""Participants (candidates) and their applications to templates."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import enum_column, time_column, utcnow
from models.enums import ApplicationSource, HrStatus, RollupStatus


class Participant(SQLModel, table=True):
    __tablename__ = "participant"
    __table_args__ = (sa.UniqueConstraint("organization_id", "email", name="uq_participant_org_email"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    name: str = Field(max_length=200)
    # Stored lower-cased so uniqueness is case-insensitive on every database.
    email: str = Field(max_length=320)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))


class Application(SQLModel, table=True):
    __tablename__ = "application"
    __table_args__ = (
        sa.UniqueConstraint("template_id", "participant_id", name="uq_application_template_participant"),
        sa.Index("ix_application_template_id", "template_id", "id"),
        sa.Index("ix_application_participant_id", "participant_id", "id"),
        sa.Index("ix_application_org_id", "organization_id", "id"),
        sa.Index("ix_application_template_rollup", "template_id", "rollup_status", "id"),
        sa.Index("ix_application_template_hr", "template_id", "hr_status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    template_id: int = Field(foreign_key="template.id")
    participant_id: int = Field(foreign_key="participant.id")
    source: ApplicationSource = Field(sa_column=enum_column(ApplicationSource, nullable=False))
    hr_status: HrStatus = Field(sa_column=enum_column(HrStatus, nullable=False))
    hr_reason: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))
    # The Applications panel's status, kept up to date in the same transaction as every
    # change of the application or its sessions (services.rollup), so that lists can be
    # filtered by it with an index instead of recomputing it for every application.
    rollup_status: RollupStatus = Field(sa_column=enum_column(RollupStatus, nullable=False))
    rollup_stage_id: int | None = Field(default=None, foreign_key="stage.id")
