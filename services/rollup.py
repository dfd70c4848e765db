"""The Applications panel's status of an application, from the latest session per stage."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Application, Decision, HrStatus, RollupStatus, Scorecard, Session, SessionStatus, Stage

_BY_SESSION_STATUS = {
    SessionStatus.SCHEDULED: RollupStatus.SCHEDULED,
    SessionStatus.IN_PROGRESS: RollupStatus.IN_PROGRESS,
    SessionStatus.FAILED: RollupStatus.FAILED,
    SessionStatus.CANCELLED: RollupStatus.CANCELLED,
}


@dataclass(frozen=True)
class LatestSession:
    stage_id: int
    status: SessionStatus
    decision: Decision | None


def compute_rollup(
    hr_status: HrStatus, stage_ids: Sequence[int], latest: dict[int, LatestSession]
) -> tuple[RollupStatus, int | None]:
    """(status, stage id) for an application whose stages are `stage_ids` in order.

    The furthest stage that has a session decides, so a retry or the next stage shows at once.
    """
    if hr_status is HrStatus.REJECTED:
        return RollupStatus.REJECTED, None
    if hr_status is HrStatus.PENDING:
        return RollupStatus.AWAITING_APPROVAL, stage_ids[0] if stage_ids else None
    furthest = next((i for i in range(len(stage_ids) - 1, -1, -1) if stage_ids[i] in latest), None)
    if furthest is None:
        return RollupStatus.NOT_SCHEDULED, stage_ids[0] if stage_ids else None
    stage_id = stage_ids[furthest]
    session = latest[stage_id]
    if session.status is not SessionStatus.COMPLETED:
        return _BY_SESSION_STATUS[session.status], stage_id
    if session.decision is None:
        return RollupStatus.AWAITING_SCORE, stage_id
    if session.decision is Decision.FAIL:
        return RollupStatus.NOT_PASSED, stage_id
    if furthest == len(stage_ids) - 1:
        return RollupStatus.PASSED_ALL_STAGES, stage_id
    # Passed a stage whose successor has no session yet (normally scheduled at once).
    return RollupStatus.NOT_SCHEDULED, stage_ids[furthest + 1]


async def latest_sessions(db: AsyncSession, application_id: int) -> dict[int, LatestSession]:
    """The newest session of each stage of one application, with its scorecard decision."""
    rows = await db.execute(
        select(Session.id, Session.stage_id, Session.status, Scorecard.decision)
        .outerjoin(Scorecard, Scorecard.session_id == Session.id)  # type: ignore[arg-type]
        .where(Session.application_id == application_id)
        .order_by(Session.id)  # type: ignore[arg-type]
    )
    latest: dict[int, LatestSession] = {}
    for _id, stage_id, status, decision in rows:
        latest[stage_id] = LatestSession(stage_id, status, decision)  # later ids win
    return latest


async def refresh_rollup(db: AsyncSession, application: Application) -> None:
    """Recompute and store the application's rollup; call inside the changing transaction."""
    stage_ids = list(
        await db.scalars(
            select(Stage.id).where(Stage.template_id == application.template_id).order_by(Stage.position)  # type: ignore[arg-type]
        )
    )
    assert application.id is not None
    status, stage_id = compute_rollup(application.hr_status, stage_ids, await latest_sessions(db, application.id))
    application.rollup_status = status
    application.rollup_stage_id = stage_id
    db.add(application)
    await db.flush()
