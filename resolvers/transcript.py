"""Streaming transcript segments and authenticity signals into a session."""

import strawberry
from resolvers import mutations
from resolvers.common import decode
from schema.context import Info
from schema.errors import user_errors
from schema.inputs import AuthenticitySignalInput, TranscriptSegmentInput
from schema.payloads import AuthenticitySignalPayload, TranscriptPayload
from schema.types.sessions import AuthenticitySignal, TranscriptSegment
from services import reads, transcript
from services.auth import Permission
from services.errors import DomainError


@strawberry.type
class TranscriptMutations:
    @strawberry.mutation
    async def append_transcript(
        self,
        info: Info,
        session_id: strawberry.ID,
        segments: list[TranscriptSegmentInput],
        idempotency_key: str | None = None,
    ) -> TranscriptPayload:
        actor = info.context.require(Permission.DRIVE_SESSIONS)

        async def action(uow: mutations.UnitOfWork) -> list[int]:
            rows = await transcript.append_transcript(
                uow,
                actor,
                decode(session_id, "Session", ["sessionId"]),
                [transcript.SegmentInput(s.speaker, s.text, s.start_ms, s.end_ms) for s in segments],
            )
            return [rows[0].session_id, rows[0].seq, rows[-1].seq]

        try:
            session_pk, first_seq, last_seq = await mutations.run(
                info,
                action,
                operation="appendTranscript",
                idempotency_key=idempotency_key,
                arguments={"sessionId": session_id, "segments": [strawberry.asdict(s) for s in segments]},
                scope=actor.scope,
            )
        except DomainError as error:
            return TranscriptPayload(user_errors=user_errors(error))
        async with info.context.runtime.database.read() as db:
            rows = await reads.transcript(db, session_pk, after_seq=first_seq - 1, limit=last_seq - first_seq + 1)
        return TranscriptPayload(segments=[TranscriptSegment.from_row(row) for row in rows])

    @strawberry.mutation
    async def record_authenticity_signal(
        self, info: Info, session_id: strawberry.ID, input: AuthenticitySignalInput, idempotency_key: str | None = None
    ) -> AuthenticitySignalPayload:
        actor = info.context.require(Permission.DRIVE_SESSIONS)

        async def action(uow: mutations.UnitOfWork) -> list[int]:
            row = await transcript.record_signal(
                uow,
                actor,
                decode(session_id, "Session", ["sessionId"]),
                transcript.SignalInput(input.kind, input.severity, input.detail, input.occurred_at),
            )
            return [row.session_id, row.seq]

        try:
            session_pk, seq = await mutations.run(
                info,
                action,
                operation="recordAuthenticitySignal",
                idempotency_key=idempotency_key,
                arguments={"sessionId": session_id, "input": strawberry.asdict(input)},
                scope=actor.scope,
            )
        except DomainError as error:
            return AuthenticitySignalPayload(user_errors=user_errors(error))
        async with info.context.runtime.database.read() as db:
            rows = await reads.signals(db, session_pk, after_seq=seq - 1, limit=1)
        return AuthenticitySignalPayload(signal=AuthenticitySignal.from_row(rows[0]))
