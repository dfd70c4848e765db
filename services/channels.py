"""Names and messages of the live channels. Every message is JSON text."""

from typing import Any

import orjson

from models import AuthenticitySignal, Event, TranscriptSegment
from services.ids import to_global_id


def transcript_channel(session_id: int) -> str:
    return f"session.{session_id}.transcript"


def signals_channel(session_id: int) -> str:
    return f"session.{session_id}.signals"


def session_events_channel(session_id: int) -> str:
    return f"session.{session_id}.events"


def organization_events_channel(organization_id: int) -> str:
    return f"org.{organization_id}.events"


def dumps(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


def segment_dict(segment: TranscriptSegment | Any) -> dict[str, Any]:
    """A segment as live messages carry it (from an ORM object or a Row alike)."""
    return {
            "kind": "item",
            "seq": segment.seq,
            "speaker": segment.speaker.value,
            "text": segment.text,
            "startMs": segment.start_ms,
            "endMs": segment.end_ms,
            "createdAt": segment.created_at.isoformat(),
    }


def signal_dict(signal: AuthenticitySignal | Any) -> dict[str, Any]:
    return {
            "kind": "item",
            "seq": signal.seq,
            "signalKind": signal.kind,
            "severity": signal.severity.value,
            "detail": signal.detail,
            "occurredAt": signal.occurred_at.isoformat(),
    }


def segment_message(segment: TranscriptSegment) -> str:
    return dumps(segment_dict(segment))


def signal_message(signal: AuthenticitySignal) -> str:
    return dumps(signal_dict(signal))


# Sent on the transcript and signal channels when the session became terminal: nothing
# more will be appended, so a subscriber drains what is stored and completes.
CLOSED_MESSAGE = dumps({"kind": "closed"})


def event_dict(event: Event | Any) -> dict[str, Any]:
    assert event.id is not None
    return {
            "kind": "event",
            "id": event.id,
            "globalId": to_global_id("Event", event.id),
            "sessionId": event.session_id,
            "applicationId": event.application_id,
            "templateId": event.template_id,
            "organizationId": event.organization_id,
            "type": event.type.value,
            "sequence": event.sequence,
            "occurredAt": event.occurred_at.isoformat(),
            "data": event.data,
    }


def event_message(event: Event) -> str:
    return dumps(event_dict(event))


def loads(message: str) -> dict[str, Any]:
    value = orjson.loads(message)
    assert isinstance(value, dict)
    return value
