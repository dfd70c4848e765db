"""The session lifecycle: scheduling, and every transition, each with its event."""

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from models import (
    Application,
    Decision,
    Event,
    EventType,
    HrStatus,
    InvalidTransition,
    Scorecard,
    Session,
    SessionStatus,
    Stage,
)
from models.base import utcnow
from services import validation
from services.auth import Actor
from services.channels import CLOSED_MESSAGE, signals_channel, transcript_channel
from services.errors import DomainError, ErrorCode, invalid, not_found
from services.events import record_event
from services.lookups import get_scoped
from services.rollup import refresh_rollup
from services.uow import UnitOfWork

_EVENT_FOR_STATUS = {
    SessionStatus.IN_PROGRESS: EventType.SESSION_STARTED,
    SessionStatus.COMPLETED: EventType.SESSION_COMPLETED,
    SessionStatus.FAILED: EventType.SESSION_FAILED,
    SessionStatus.CANCELLED: EventType.SESSION_CANCELLED,
}


# --- join tokens -------------------------------------------------------------------------
# The token is an HMAC of a random per-session nonce under the deployment's secret: the
# database keeps only the nonce and the token's hash, so a copy of the database alone
# cannot join an interview, yet recruiters can be shown the join URL again at any time.


def join_token(secret: bytes, nonce: str) -> str:
    digest = hmac.new(secret, nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_join_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def join_url(public_base_url: str, secret: bytes, nonce: str) -> str:
    return f"{public_base_url.rstrip('/')}/join/{join_token(secret, nonce)}"


# --- scheduling --------------------------------------------------------------------------


async def _stages(uow: UnitOfWork, template_id: int) -> list[Stage]:
    return list(
        await uow.db.scalars(select(Stage).where(Stage.template_id == template_id).order_by(Stage.position))  # type: ignore[arg-type]
    )


async def reached_stage(uow: UnitOfWork, application: Application, stages: list[Stage]) -> Stage | None:
    """The first stage whose newest session has not passed; None when every stage passed."""
    rows = await uow.db.execute(
        select(Session.stage_id, Session.status, Scorecard.decision)
        .outerjoin(Scorecard, Scorecard.session_id == Session.id)  # type: ignore[arg-type]
        .where(Session.application_id == application.id)
        .order_by(Session.id)  # type: ignore[arg-type]
    )
    passed: dict[int, bool] = {}
    for stage_id, _status, decision in rows:
        passed[stage_id] = decision is Decision.PASS
    return next((stage for stage in stages if not passed.get(stage.id or 0, False)), None)


async def schedule(
    uow: UnitOfWork,
    actor: Actor,
    join_secret: bytes,
    *,
    application_id: int,
    stage_id: int | None,
    scheduled_for: datetime | None,
    caused_by: Event | None = None,
) -> Session:
    """A fresh SCHEDULED session of the application for a stage (a retry is just another one)."""
    # Locking the application serialises scheduling per application, so attempt numbers
    # are consecutive; the partial unique index is the last word on "one open session".
    application = await get_scoped(uow.db, Application, application_id, actor, field=["input", "applicationId"], lock=True)
    if application.hr_status is not HrStatus.APPROVED:
        raise DomainError.one(
            ErrorCode.APPLICATION_NOT_APPROVED,
            f"the application is {application.hr_status.value.lower()}, not approved",
            ["input", "applicationId"],
        )
    if scheduled_for is not None and scheduled_for.tzinfo is None:
        raise invalid("scheduledFor needs a time zone", ["input", "scheduledFor"])
    stages = await _stages(uow, application.template_id)
    if stage_id is None:
        stage = await reached_stage(uow, application, stages)
        if stage is None:
            raise invalid("the application has passed every stage", ["input", "stageId"])
    else:
        stage = next((s for s in stages if s.id == stage_id), None)
        if stage is None:
            raise not_found("Stage of this application's template", ["input", "stageId"])
    assert stage.id is not None and application.id is not None

    previous = (
        await uow.db.execute(
            select(Session.id, Session.status, func.count().over())
            .where(Session.application_id == application.id, Session.stage_id == stage.id)
            .order_by(Session.id.desc())  # type: ignore[union-attr]
            .limit(1)
        )
    ).first()
    if previous is not None and previous.status.is_open:
        raise DomainError.one(
            ErrorCode.CONFLICT, f"stage {stage.position} already has an open session", ["input", "stageId"]
        )

    nonce = secrets.token_urlsafe(24)
    session = Session(
        organization_id=application.organization_id,
        application_id=application.id,
        stage_id=stage.id,
        template_id=application.template_id,
        participant_id=application.participant_id,
        status=SessionStatus.SCHEDULED,
        attempt=(previous[2] + 1) if previous is not None else 1,
        previous_attempt_id=previous.id if previous is not None else None,
        caused_by_event_id=caused_by.id if caused_by is not None else None,
        join_nonce=nonce,
        join_token_hash=hash_join_token(join_token(join_secret, nonce)),
        scheduled_for=scheduled_for,
    )
    try:
        # A savepoint, so a lost race becomes CONFLICT instead of a dead transaction (the
        # row is added inside it: entering it flushes what is pending, outside it).
        async with uow.db.begin_nested():
            uow.db.add(session)
            await uow.db.flush()
    except IntegrityError as error:
        raise DomainError.one(
            ErrorCode.CONFLICT, f"stage {stage.position} already has an open session", ["input", "stageId"]
        ) from error
    await record_event(uow, session, EventType.SESSION_CREATED)
    await refresh_rollup(uow.db, application)
    return session


# --- transitions -------------------------------------------------------------------------


async def lock_for_change(uow: UnitOfWork, actor: Actor, session_id: int, *, field: list[str]) -> tuple[Session, Application]:
    """The session and its application, both locked, application first.

    Every path that changes a session and the application's rollup takes the two locks in
    this order (scheduling and HR decisions lock the application first too), so concurrent
    changes neither deadlock nor overwrite each other's rollup.
    """
    application_id = await uow.db.scalar(
        select(Session.application_id).where(Session.id == session_id, Session.organization_id == actor.organization_id)
    )
    if application_id is None:
        raise not_found("Session", field)
    application = await get_scoped(uow.db, Application, application_id, actor, field=field, lock=True)
    session = await get_scoped(uow.db, Session, session_id, actor, field=field, lock=True)
    return session, application


async def _transition(
    uow: UnitOfWork, actor: Actor, session_id: int, target: SessionStatus, *, field: list[str]
) -> tuple[Session, Application]:
    session, application = await lock_for_change(uow, actor, session_id, field=field)
    try:
        session.transition_to(target)
    except InvalidTransition as error:
        raise DomainError.one(ErrorCode.INVALID_TRANSITION, str(error), field) from error
    now = utcnow()
    if target is SessionStatus.IN_PROGRESS:
        session.started_at = now
    elif target is SessionStatus.CANCELLED:
        session.cancelled_at = now
        session.ended_at = now
    else:
        session.ended_at = now
    return session, application


async def _finish(uow: UnitOfWork, session: Session, application: Application) -> Session:
    """Write the transition's event and rollup; tell live streams when nothing more comes."""
    assert session.id is not None
    await record_event(uow, session, _EVENT_FOR_STATUS[session.status])
    await refresh_rollup(uow.db, application)
    if session.status.is_terminal:
        uow.publish_after_commit(transcript_channel(session.id), CLOSED_MESSAGE)
        uow.publish_after_commit(signals_channel(session.id), CLOSED_MESSAGE)
    return session


async def start(uow: UnitOfWork, actor: Actor, session_id: int) -> Session:
    session, application = await _transition(uow, actor, session_id, SessionStatus.IN_PROGRESS, field=["id"])
    return await _finish(uow, session, application)


async def complete(uow: UnitOfWork, actor: Actor, session_id: int, recording_url: str | None) -> Session:
    url = validation.http_url(recording_url, ["recordingUrl"]) if recording_url is not None else None
    session, application = await _transition(uow, actor, session_id, SessionStatus.COMPLETED, field=["id"])
    session.recording_url = url
    return await _finish(uow, session, application)


async def fail(uow: UnitOfWork, actor: Actor, session_id: int, reason: str) -> Session:
    cleaned = validation.text(reason, ["reason"], max_length=validation.REASON_MAX)
    session, application = await _transition(uow, actor, session_id, SessionStatus.FAILED, field=["id"])
    session.failure_reason = cleaned
    return await _finish(uow, session, application)


async def cancel(uow: UnitOfWork, actor: Actor, session_id: int, reason: str | None) -> Session:
    cleaned = validation.optional_text(reason, ["reason"], max_length=validation.REASON_MAX)
    session, application = await _transition(uow, actor, session_id, SessionStatus.CANCELLED, field=["id"])
    session.cancel_reason = cleaned
    return await _finish(uow, session, application)


async def cancel_open_scheduled(uow: UnitOfWork, application: Application, reason: str) -> None:
    """Cancel every SCHEDULED session of an application (used when HR rejects it)."""
    sessions = await uow.db.scalars(
        select(Session)
        .where(Session.application_id == application.id, Session.status == SessionStatus.SCHEDULED)
        .with_for_update()
    )
    for session in sessions:
        session.transition_to(SessionStatus.CANCELLED)
        session.cancelled_at = session.ended_at = utcnow()
        session.cancel_reason = reason
        assert session.id is not None
        await record_event(uow, session, EventType.SESSION_CANCELLED)
        uow.publish_after_commit(transcript_channel(session.id), CLOSED_MESSAGE)
        uow.publish_after_commit(signals_channel(session.id), CLOSED_MESSAGE)
