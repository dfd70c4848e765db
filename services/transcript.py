"""Streaming a session's transcript and authenticity signals (append-only, gapless seqs)."""

from dataclasses import dataclass
from datetime import datetime

from models import AuthenticitySignal, Session, SessionStatus, Severity, Speaker, TranscriptSegment
from models.base import utcnow
from services import validation
from services.auth import Actor
from services.channels import segment_message, signal_message, signals_channel, transcript_channel
from services.errors import DomainError, ErrorCode, invalid
from services.lookups import get_scoped
from services.uow import UnitOfWork


@dataclass(frozen=True)
class SegmentInput:
    speaker: Speaker
    text: str
    start_ms: int | None = None
    end_ms: int | None = None


@dataclass(frozen=True)
class SignalInput:
    kind: str
    severity: Severity
    detail: str | None = None
    occurred_at: datetime | None = None


async def _open_session(uow: UnitOfWork, actor: Actor, session_id: int) -> Session:
    """The session, locked, if it accepts transcript and signals (IN_PROGRESS)."""
    session = await get_scoped(uow.db, Session, session_id, actor, field=["sessionId"], lock=True)
    if session.status.is_terminal:
        raise DomainError.one(
            ErrorCode.SESSION_TERMINAL, f"the session is {session.status.value} and can no longer change", ["sessionId"]
        )
    if session.status is not SessionStatus.IN_PROGRESS:
        raise DomainError.one(ErrorCode.INVALID_TRANSITION, "the session has not started yet", ["sessionId"])
    return session


def _validated_segments(segments: list[SegmentInput]) -> list[SegmentInput]:
    if not segments:
        raise invalid("give at least one segment", ["segments"])
    if len(segments) > validation.SEGMENTS_PER_CALL_MAX:
        raise invalid(f"at most {validation.SEGMENTS_PER_CALL_MAX} segments per call", ["segments"])
    cleaned = []
    for i, segment in enumerate(segments):
        field = ["segments", str(i)]
        text = validation.text(segment.text, [*field, "text"], max_length=validation.SEGMENT_TEXT_MAX)
        for name, value in (("startMs", segment.start_ms), ("endMs", segment.end_ms)):
            if value is not None and value < 0:
                raise invalid(f"{name} must not be negative", [*field, name])
        if segment.start_ms is not None and segment.end_ms is not None and segment.end_ms < segment.start_ms:
            raise invalid("endMs must not be before startMs", [*field, "endMs"])
        cleaned.append(SegmentInput(segment.speaker, text, segment.start_ms, segment.end_ms))
    return cleaned


async def append_transcript(
    uow: UnitOfWork, actor: Actor, session_id: int, segments: list[SegmentInput]
) -> list[TranscriptSegment]:
    cleaned = _validated_segments(segments)
    session = await _open_session(uow, actor, session_id)
    assert session.id is not None
    now = utcnow()
    rows = []
    for segment in cleaned:
        session.transcript_seq += 1
        rows.append(
            TranscriptSegment(
                session_id=session.id,
                seq=session.transcript_seq,
                speaker=segment.speaker,
                text=segment.text,
                start_ms=segment.start_ms,
                end_ms=segment.end_ms,
                created_at=now,
            )
        )
    uow.db.add(session)
    uow.db.add_all(rows)
    await uow.db.flush()
    for row in rows:
        uow.publish_after_commit(transcript_channel(session.id), segment_message(row))
    return rows


async def record_signal(uow: UnitOfWork, actor: Actor, session_id: int, signal: SignalInput) -> AuthenticitySignal:
    kind = validation.text(signal.kind, ["input", "kind"], max_length=100)
    detail = validation.optional_text(signal.detail, ["input", "detail"], max_length=validation.REASON_MAX)
    if signal.occurred_at is not None and signal.occurred_at.tzinfo is None:
        raise invalid("occurredAt needs a time zone", ["input", "occurredAt"])
    session = await _open_session(uow, actor, session_id)
    assert session.id is not None
    session.signal_seq += 1
    row = AuthenticitySignal(
        session_id=session.id,
        seq=session.signal_seq,
        kind=kind,
        severity=signal.severity,
        detail=detail,
        occurred_at=signal.occurred_at or utcnow(),
    )
    uow.db.add(session)
    uow.db.add(row)
    await uow.db.flush()
    uow.publish_after_commit(signals_channel(session.id), signal_message(row))
    return row
