"""Interview sessions, their lifecycle table, transcript, authenticity signals and scorecard."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from models.base import enum_column, time_column, utcnow
from models.enums import Decision, SessionStatus, Severity, Speaker

# The whole lifecycle: the only moves a session may make. Terminal states have none.
ALLOWED_TRANSITIONS: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.SCHEDULED: frozenset({SessionStatus.IN_PROGRESS, SessionStatus.CANCELLED}),
    SessionStatus.IN_PROGRESS: frozenset({SessionStatus.COMPLETED, SessionStatus.FAILED}),
    SessionStatus.COMPLETED: frozenset(),
    SessionStatus.FAILED: frozenset(),
    SessionStatus.CANCELLED: frozenset(),
}


class InvalidTransition(Exception):
    def __init__(self, current: SessionStatus, target: SessionStatus) -> None:
        super().__init__(f"a {current.value} session cannot become {target.value}")
        self.current = current
        self.target = target


_OPEN = "status IN ('SCHEDULED', 'IN_PROGRESS')"


class Session(SQLModel, table=True):
    __tablename__ = "session"
    __table_args__ = (
        # At most one open session per application and stage, enforced by the database
        # itself so that two concurrent scheduleSession calls cannot both win.
        sa.Index(
            "uq_session_open_per_stage",
            "application_id",
            "stage_id",
            unique=True,
            sqlite_where=sa.text(_OPEN),
            postgresql_where=sa.text(_OPEN),
        ),
        sa.Index("ix_session_application_id", "application_id", "id"),
        sa.Index("ix_session_app_stage_id", "application_id", "stage_id", "id"),
        sa.Index("ix_session_participant_id", "participant_id", "id"),
        sa.Index("ix_session_template_status", "template_id", "status"),
        sa.Index("ix_session_org_id", "organization_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    application_id: int = Field(foreign_key="application.id")
    stage_id: int = Field(foreign_key="stage.id")
    # Denormalised from the application so list filters and event payloads need no join.
    template_id: int = Field(foreign_key="template.id")
    participant_id: int = Field(foreign_key="participant.id")
    status: SessionStatus = Field(sa_column=enum_column(SessionStatus, nullable=False))
    attempt: int = 1
    previous_attempt_id: int | None = Field(default=None, foreign_key="session.id")
    caused_by_event_id: int | None = Field(default=None)
    join_nonce: str = Field(max_length=64)
    join_token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    scheduled_for: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    ended_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    cancelled_at: datetime | None = Field(default=None, sa_column=time_column(nullable=True))
    failure_reason: str | None = Field(default=None, max_length=2000)
    cancel_reason: str | None = Field(default=None, max_length=2000)
    recording_url: str | None = Field(default=None, max_length=2048)
    # Last seq handed out, per kind; updated under the row lock so seqs have no gaps.
    transcript_seq: int = 0
    signal_seq: int = 0
    event_seq: int = 0

    def transition_to(self, target: SessionStatus) -> None:
        """The one way to change a status; pure, so every from/to pair is unit-tested."""
        if target not in ALLOWED_TRANSITIONS[self.status]:
            raise InvalidTransition(self.status, target)
        self.status = target


class TranscriptSegment(SQLModel, table=True):
    __tablename__ = "transcript_segment"
    __table_args__ = (sa.UniqueConstraint("session_id", "seq", name="uq_transcript_session_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="session.id")
    seq: int
    speaker: Speaker = Field(sa_column=enum_column(Speaker, nullable=False))
    text: str = Field(sa_column=Column(sa.Text, nullable=False))
    start_ms: int | None = None
    end_ms: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))


class AuthenticitySignal(SQLModel, table=True):
    __tablename__ = "authenticity_signal"
    __table_args__ = (sa.UniqueConstraint("session_id", "seq", name="uq_signal_session_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="session.id")
    seq: int
    kind: str = Field(max_length=100)
    severity: Severity = Field(sa_column=enum_column(Severity, nullable=False))
    detail: str | None = Field(default=None, max_length=2000)
    occurred_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))


class Scorecard(SQLModel, table=True):
    """At most one per session (the unique session_id makes a second one impossible)."""

    __tablename__ = "scorecard"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="session.id", sa_column_kwargs={"unique": True})
    overall_score: float
    decision: Decision = Field(sa_column=enum_column(Decision, nullable=False))
    # [{"name", "score", "weight", "comment"}, ...] in the order given.
    criteria: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    summary: str | None = Field(default=None, sa_column=Column(sa.Text, nullable=True))
    finalized_at: datetime = Field(default_factory=utcnow, sa_column=time_column(nullable=False))
