"""Input types of the contract's mutations and subscriptions."""

from datetime import datetime

import strawberry

from schema.enums import EventType, Role, Severity, Speaker


@strawberry.input
class StageInput:
    name: str
    pass_threshold: float = strawberry.field(description="0 to 100.")


@strawberry.input
class CreateTemplateInput:
    name: str
    slug: str | None = None
    stages: list[StageInput]
    public_apply: bool | None = None
    require_approval: bool | None = None


@strawberry.input(description="Public apply flow: no credential, by the template's slug.")
class ApplyInput:
    template_slug: str
    name: str
    email: str


@strawberry.input
class AddParticipantInput:
    template_id: strawberry.ID
    name: str
    email: str


@strawberry.input
class ScheduleSessionInput:
    application_id: strawberry.ID
    stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the stage that the application has reached."
    )
    scheduled_for: datetime | None = None


@strawberry.input
class TranscriptSegmentInput:
    speaker: Speaker
    text: str
    start_ms: int | None = None
    end_ms: int | None = None


@strawberry.input
class AuthenticitySignalInput:
    kind: str
    severity: Severity
    detail: str | None = None
    occurred_at: datetime | None = None


@strawberry.input
class CriterionScoreInput:
    name: str
    score: float = strawberry.field(description="0 to 100.")
    weight: float | None = None
    comment: str | None = None


@strawberry.input
class ScorecardInput:
    criteria: list[CriterionScoreInput]
    summary: str | None = None


@strawberry.input
class CreateApiKeyInput:
    name: str
    role: Role


@strawberry.input
class EventFilter:
    types: list[EventType] | None = None
    template_id: strawberry.ID | None = None
    application_id: strawberry.ID | None = None
    session_id: strawberry.ID | None = None


@strawberry.input
class CreateWebhookEndpointInput:
    url: str
    description: str | None = None
    event_types: list[EventType] | None = None


@strawberry.input
class UpdateWebhookEndpointInput:
    url: str | None = None
    description: str | None = None
    event_types: list[EventType] | None = None
    enabled: bool | None = None
