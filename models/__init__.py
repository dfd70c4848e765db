"""SQLModel tables and enums. Nothing here knows about GraphQL or HTTP."""

from models.applications import Application, Participant
from models.enums import (
    ApplicationSource,
    Decision,
    DeliveryStatus,
    EventType,
    HrStatus,
    Role,
    RollupStatus,
    SessionStatus,
    Severity,
    Speaker,
)
from models.events import Event
from models.idempotency import IdempotencyKey
from models.sessions import (
    ALLOWED_TRANSITIONS,
    AuthenticitySignal,
    InvalidTransition,
    Scorecard,
    Session,
    TranscriptSegment,
)
from models.templates import Stage, Template
from models.tenancy import ApiKey, Organization, ServerSecret
from models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ALLOWED_TRANSITIONS",
    "ApiKey",
    "Application",
    "ApplicationSource",
    "AuthenticitySignal",
    "Decision",
    "DeliveryStatus",
    "Event",
    "EventType",
    "HrStatus",
    "IdempotencyKey",
    "InvalidTransition",
    "Organization",
    "Participant",
    "Role",
    "RollupStatus",
    "Scorecard",
    "ServerSecret",
    "Session",
    "SessionStatus",
    "Severity",
    "Speaker",
    "Stage",
    "Template",
    "TranscriptSegment",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
