"""Writing events to the outbox, with exactly the data that webhooks will carry."""

from datetime import datetime
from typing import Any

from models import Event, EventType, Scorecard, Session
from models.base import utcnow
from services.channels import event_message, organization_events_channel, session_events_channel
from services.ids import to_global_id
from services.uow import UnitOfWork


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def session_data(session: Session) -> dict[str, Any]:
    assert session.id is not None
    return {
        "id": to_global_id("Session", session.id),
        "status": session.status.value,
        "attempt": session.attempt,
        "applicationId": to_global_id("Application", session.application_id),
        "participantId": to_global_id("Participant", session.participant_id),
        "stageId": to_global_id("Stage", session.stage_id),
        "templateId": to_global_id("Template", session.template_id),
        "scheduledFor": _iso(session.scheduled_for),
        "createdAt": _iso(session.created_at),
        "startedAt": _iso(session.started_at),
        "endedAt": _iso(session.ended_at),
        "failureReason": session.failure_reason,
        "cancelReason": session.cancel_reason,
    }


def scorecard_data(scorecard: Scorecard) -> dict[str, Any]:
    return {
        "overallScore": scorecard.overall_score,
        "decision": scorecard.decision.value,
        "criteria": scorecard.criteria,
        "summary": scorecard.summary,
        "finalizedAt": _iso(scorecard.finalized_at),
    }


async def record_event(
    uow: UnitOfWork, session: Session, event_type: EventType, *, scorecard: Scorecard | None = None
) -> Event:
    """Append the session's next event. The caller holds the session row locked."""
    assert session.id is not None
    session.event_seq += 1
    data: dict[str, Any] = {"sequence": session.event_seq, "session": session_data(session)}
    if scorecard is not None:
        data["scorecard"] = scorecard_data(scorecard)
    event = Event(
        organization_id=session.organization_id,
        session_id=session.id,
        application_id=session.application_id,
        template_id=session.template_id,
        type=event_type,
        sequence=session.event_seq,
        occurred_at=utcnow(),
        data=data,
    )
    uow.db.add(session)
    uow.db.add(event)
    await uow.db.flush()
    assert event.id is not None
    message = event_message(event)
    uow.publish_after_commit(session_events_channel(session.id), message)
    uow.publish_after_commit(organization_events_channel(session.organization_id), message)
    uow.committed_event_ids.append(event.id)
    return event
