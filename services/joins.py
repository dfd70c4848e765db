"""The public join view: what the interview room shows for a join token."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Participant, Session, SessionStatus, Stage, Template
from services.sessions import hash_join_token


@dataclass(frozen=True)
class JoinViewData:
    session_id: int
    status: SessionStatus
    template_name: str
    stage_name: str
    participant_name: str
    scheduled_for: datetime | None


async def join_view(db: AsyncSession, token: str) -> JoinViewData | None:
    """None for an unknown token (a bad token and a missing session look the same)."""
    if not token or len(token) > 200:
        return None
    row = (
        await db.execute(
            select(Session.id, Session.status, Template.name, Stage.name, Participant.name, Session.scheduled_for)
            .join(Template, Template.id == Session.template_id)  # type: ignore[arg-type]
            .join(Stage, Stage.id == Session.stage_id)  # type: ignore[arg-type]
            .join(Participant, Participant.id == Session.participant_id)  # type: ignore[arg-type]
            .where(Session.join_token_hash == hash_join_token(token))
        )
    ).first()
    return JoinViewData(*row) if row is not None else None
