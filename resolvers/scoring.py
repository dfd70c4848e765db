"""Submitting scorecards."""

import strawberry

from resolvers.common import decode
from resolvers.sessions import session_payload
from schema.context import Info
from schema.inputs import ScorecardInput
from schema.payloads import SessionPayload
from services import scoring
from services.auth import Permission


@strawberry.type
class ScoringMutations:
    @strawberry.mutation(
        description="Once, on a COMPLETED session; fires session.scored and, on PASS, schedules the next stage."
    )
    async def submit_scorecard(self, info: Info, session_id: strawberry.ID, input: ScorecardInput) -> SessionPayload:
        actor = info.context.require(Permission.SCORE_SESSIONS)
        secret = info.context.runtime.join_secret
        criteria = [scoring.CriterionInput(c.name, c.score, c.weight, c.comment) for c in input.criteria]
        return await session_payload(
            info,
            lambda uow: scoring.submit_scorecard(
                uow,
                actor,
                secret,
                session_id=decode(session_id, "Session", ["sessionId"]),
                criteria=criteria,
                summary=input.summary,
            ),
            "submitScorecard",
        )
