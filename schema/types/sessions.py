"""Sessions and what they hold: transcript, authenticity signals, scorecard."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema.context import Info
from schema.enums import Decision, SessionStatus, Severity, Speaker
from schema.types.common import Node
from services.auth import Permission
from services.errors import invalid
from services.ids import to_global_id
from services.reads import TRANSCRIPT_PAGE_MAX
from services.sessions import join_url

if TYPE_CHECKING:
    from schema.types.applications import Application, Participant
    from schema.types.events import Event
    from schema.types.templates import Stage, Template

_apps = strawberry.lazy("schema.types.applications")
_templates = strawberry.lazy("schema.types.templates")
_events = strawberry.lazy("schema.types.events")


@strawberry.type
class TranscriptSegment:
    seq: int
    speaker: Speaker
    text: str
    start_ms: int | None
    end_ms: int | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> "TranscriptSegment":
        return cls(
            seq=row.seq,
            speaker=row.speaker,
            text=row.text,
            start_ms=row.start_ms,
            end_ms=row.end_ms,
            created_at=row.created_at,
        )

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> "TranscriptSegment":
        return cls(
            seq=message["seq"],
            speaker=Speaker(message["speaker"]),
            text=message["text"],
            start_ms=message["startMs"],
            end_ms=message["endMs"],
            created_at=datetime.fromisoformat(message["createdAt"]),
        )


@strawberry.type
class AuthenticitySignal:
    seq: int
    kind: str
    severity: Severity
    detail: str | None
    occurred_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> "AuthenticitySignal":
        return cls(seq=row.seq, kind=row.kind, severity=row.severity, detail=row.detail, occurred_at=row.occurred_at)

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> "AuthenticitySignal":
        return cls(
            seq=message["seq"],
            kind=message["signalKind"],
            severity=Severity(message["severity"]),
            detail=message["detail"],
            occurred_at=datetime.fromisoformat(message["occurredAt"]),
        )


@strawberry.type
class CriterionScore:
    name: str
    score: float
    weight: float
    comment: str | None


@strawberry.type
class Scorecard:
    overall_score: float = strawberry.field(description="Weighted mean of the criteria scores, 0 to 100.")
    decision: Decision = strawberry.field(description="PASS when overallScore >= the stage's passThreshold.")
    criteria: list[CriterionScore]
    summary: str | None
    finalized_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> "Scorecard":
        return cls(
            overall_score=row.overall_score,
            decision=row.decision,
            criteria=[
                CriterionScore(name=c["name"], score=c["score"], weight=c["weight"], comment=c.get("comment"))
                for c in row.criteria
            ],
            summary=row.summary,
            finalized_at=row.finalized_at,
        )


@strawberry.type
class Session(Node):
    status: SessionStatus
    attempt: int = strawberry.field(
        description="1 for the first session of this application and stage, 2 for the first retry, ..."
    )
    scheduled_for: datetime | None
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    cancelled_at: datetime | None
    failure_reason: str | None
    cancel_reason: str | None
    recording_url: str | None

    pk: strawberry.Private[int]
    application_id: strawberry.Private[int]
    stage_id: strawberry.Private[int]
    template_id: strawberry.Private[int]
    participant_id: strawberry.Private[int]
    previous_attempt_id: strawberry.Private[int | None]
    caused_by_event_id: strawberry.Private[int | None]
    join_nonce: strawberry.Private[str]
    # Filled by the read path when it loaded the stage with the page (no per-row query).
    prefetched_stage: strawberry.Private[Any] = None

    @classmethod
    def from_row(cls, row: Any) -> "Session":
        return cls(
            id=strawberry.ID(to_global_id("Session", row.id)),
            status=row.status,
            attempt=row.attempt,
            scheduled_for=row.scheduled_for,
            created_at=row.created_at,
            started_at=row.started_at,
            ended_at=row.ended_at,
            cancelled_at=row.cancelled_at,
            failure_reason=row.failure_reason,
            cancel_reason=row.cancel_reason,
            recording_url=row.recording_url,
            pk=row.id,
            application_id=row.application_id,
            stage_id=row.stage_id,
            template_id=row.template_id,
            participant_id=row.participant_id,
            previous_attempt_id=row.previous_attempt_id,
            caused_by_event_id=row.caused_by_event_id,
            join_nonce=row.join_nonce,
        )

    @strawberry.field(description="Null for roles that may not invite (AGENT, SCORER, VIEWER).")
    def join_url(self, info: Info) -> str | None:
        if not info.context.can(Permission.SEE_JOIN_URLS):
            return None
        runtime = info.context.runtime
        return join_url(runtime.public_base_url, runtime.join_secret, self.join_nonce)

    @strawberry.field(description="The session of the same application and stage that this one retries, if any.")
    def previous_attempt(self, info: Info) -> "Session | None":
        if self.previous_attempt_id is None:
            return None
        return info.context.loaders.session_by_id.load(self.previous_attempt_id)  # type: ignore[return-value]

    @strawberry.field(
        description="The event that created this session automatically (a PASS scorecard of the previous stage), if any."
    )
    def caused_by(self, info: Info) -> Annotated["Event", _events] | None:
        if self.caused_by_event_id is None:
            return None
        return info.context.loaders.event_by_id.load(self.caused_by_event_id)  # type: ignore[return-value]

    @strawberry.field
    def application(self, info: Info) -> Annotated["Application", _apps]:
        return info.context.loaders.application_by_id.load(self.application_id)  # type: ignore[return-value]

    @strawberry.field
    def participant(self, info: Info) -> Annotated["Participant", _apps]:
        return info.context.loaders.participant_by_id.load(self.participant_id)  # type: ignore[return-value]

    @strawberry.field
    def stage(self, info: Info) -> Annotated["Stage", _templates]:
        if self.prefetched_stage is not None:
            return self.prefetched_stage  # type: ignore[no-any-return]
        return info.context.loaders.stage_by_id.load(self.stage_id)  # type: ignore[return-value]

    @strawberry.field
    def template(self, info: Info) -> Annotated["Template", _templates]:
        return info.context.loaders.template_by_id.load(self.template_id)  # type: ignore[return-value]

    @strawberry.field
    def transcript(self, info: Info, after_seq: int | None = None, first: int | None = None) -> list[TranscriptSegment]:
        if first is not None and not 0 <= first <= TRANSCRIPT_PAGE_MAX:
            raise invalid(f"first must be from 0 to {TRANSCRIPT_PAGE_MAX}", ["first"])
        key = (self.pk, max(after_seq or 0, 0), TRANSCRIPT_PAGE_MAX if first is None else first)
        return info.context.loaders.transcript.load(key)  # type: ignore[return-value]

    @strawberry.field
    def authenticity_signals(self, info: Info) -> list[AuthenticitySignal]:
        return info.context.loaders.signals_by_session.load(self.pk)  # type: ignore[return-value]

    @strawberry.field
    def scorecard(self, info: Info) -> Scorecard | None:
        return info.context.loaders.scorecard_by_session.load(self.pk)  # type: ignore[return-value]

    @strawberry.field(description="The events of this session, oldest first.")
    def events(self, info: Info) -> list[Annotated["Event", _events]]:
        return info.context.loaders.events_by_session.load(self.pk)  # type: ignore[return-value]


@strawberry.type(description="The public view that the interview room gets from a join token.")
class JoinView:
    session_id: strawberry.ID
    status: SessionStatus
    template_name: str
    stage_name: str
    participant_name: str
    scheduled_for: datetime | None


__all__ = ["AuthenticitySignal", "JoinView", "Scorecard", "Session", "TranscriptSegment"]
