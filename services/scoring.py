"""Scorecards, and the progression a passing one triggers."""

from dataclasses import dataclass

from sqlalchemy import select

from models import Decision, EventType, HrStatus, Scorecard, Session, SessionStatus, Stage
from services import validation
from services.auth import Actor
from services.errors import DomainError, ErrorCode, invalid
from services.events import record_event
from services.rollup import refresh_rollup
from services.sessions import lock_for_change, schedule
from services.uow import UnitOfWork


@dataclass(frozen=True)
class CriterionInput:
    name: str
    score: float
    weight: float | None = None
    comment: str | None = None


def weighted_score(criteria: list[dict[str, object]]) -> float:
    total_weight = sum(float(c["weight"]) for c in criteria)  # type: ignore[arg-type]
    total = sum(float(c["score"]) * float(c["weight"]) for c in criteria)  # type: ignore[arg-type]
    return round(total / total_weight, 2)


def _validated_criteria(criteria: list[CriterionInput]) -> list[dict[str, object]]:
    if not criteria:
        raise invalid("a scorecard needs at least one criterion", ["input", "criteria"])
    if len(criteria) > validation.CRITERIA_MAX:
        raise invalid(f"at most {validation.CRITERIA_MAX} criteria", ["input", "criteria"])
    cleaned: list[dict[str, object]] = []
    seen: set[str] = set()
    for i, criterion in enumerate(criteria):
        field = ["input", "criteria", str(i)]
        name = validation.text(criterion.name, [*field, "name"], max_length=validation.NAME_MAX)
        if name.lower() in seen:
            raise invalid(f"criterion {name!r} is given twice", [*field, "name"])
        seen.add(name.lower())
        weight = 1.0 if criterion.weight is None else float(criterion.weight)
        if not 0 < weight <= 1000:
            raise invalid("a weight is above 0 and at most 1000", [*field, "weight"])
        cleaned.append(
            {
                "name": name,
                "score": validation.score(criterion.score, [*field, "score"]),
                "weight": weight,
                "comment": validation.optional_text(criterion.comment, [*field, "comment"], max_length=validation.REASON_MAX),
            }
        )
    return cleaned


async def submit_scorecard(
    uow: UnitOfWork,
    actor: Actor,
    join_secret: bytes,
    *,
    session_id: int,
    criteria: list[CriterionInput],
    summary: str | None,
) -> Session:
    """Score a COMPLETED session once; on PASS, schedule the next stage in the same transaction."""
    cleaned = _validated_criteria(criteria)
    summary = validation.optional_text(summary, ["input", "summary"], max_length=validation.SEGMENT_TEXT_MAX)
    session, application = await lock_for_change(uow, actor, session_id, field=["sessionId"])
    existing = await uow.db.scalar(select(Scorecard.id).where(Scorecard.session_id == session.id))
    if existing is not None:
        raise DomainError.one(ErrorCode.ALREADY_SCORED, "this session already has a scorecard", ["sessionId"])
    if session.status is not SessionStatus.COMPLETED:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            f"only a COMPLETED session can be scored; this one is {session.status.value}",
            ["sessionId"],
        )
    stage = await uow.db.get_one(Stage, session.stage_id)
    overall = weighted_score(cleaned)
    decision = Decision.PASS if overall >= stage.pass_threshold else Decision.FAIL
    assert session.id is not None
    scorecard = Scorecard(
        session_id=session.id, overall_score=overall, decision=decision, criteria=cleaned, summary=summary
    )
    uow.db.add(scorecard)
    await uow.db.flush()
    scored = await record_event(uow, session, EventType.SESSION_SCORED, scorecard=scorecard)

    # A rejected application keeps its scorecard but is not progressed.
    if decision is Decision.PASS and application.hr_status is HrStatus.APPROVED:
        next_stage = await uow.db.scalar(
            select(Stage).where(Stage.template_id == stage.template_id, Stage.position == stage.position + 1)
        )
        open_next = next_stage is not None and await uow.db.scalar(
            select(Session.id).where(
                Session.application_id == application.id,
                Session.stage_id == next_stage.id,
                Session.status.in_([SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS]),  # type: ignore[attr-defined]
            )
        )
        # A recruiter may already have scheduled the next stage by hand: keep theirs.
        if next_stage is not None and not open_next:
            assert application.id is not None
            await schedule(
                uow,
                actor,
                join_secret,
                application_id=application.id,
                stage_id=next_stage.id,
                scheduled_for=None,
                caused_by=scored,
            )
            return session
    await refresh_rollup(uow.db, application)
    return session
