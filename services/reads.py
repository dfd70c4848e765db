"""Every query of the read path. Set-based: each function answers a whole batch of keys.

Rows come back as SQLAlchemy Rows of the full table (attribute access by column name),
which the GraphQL face maps straight into its types without ORM instances in between.
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    ApiKey,
    Application,
    AuthenticitySignal,
    Event,
    EventType,
    HrStatus,
    Organization,
    Participant,
    RollupStatus,
    Scorecard,
    Session,
    SessionStatus,
    Stage,
    Template,
    TranscriptSegment,
)

R = Row[Any]
_template = Template.__table__
_stage = Stage.__table__
_application = Application.__table__
_participant = Participant.__table__
_session = Session.__table__
_segment = TranscriptSegment.__table__
_signal = AuthenticitySignal.__table__
_scorecard = Scorecard.__table__
_event = Event.__table__

TRANSCRIPT_PAGE_MAX = 1000


def _by_id(rows: Sequence[R], keys: Sequence[int]) -> list[R | None]:
    found = {row.id: row for row in rows}
    return [found.get(key) for key in keys]


def _grouped(rows: Sequence[R], attribute: str, keys: Sequence[int]) -> list[list[R]]:
    groups: dict[int, list[R]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, attribute)].append(row)
    return [groups.get(key, []) for key in keys]


# --- organizations and keys ----------------------------------------------------------------


async def organization(db: AsyncSession, organization_id: int) -> R | None:
    return (await db.execute(select(Organization.__table__).where(Organization.__table__.c.id == organization_id))).first()


async def api_keys(db: AsyncSession, organization_id: int) -> list[R]:
    table = ApiKey.__table__
    return list(await db.execute(select(table).where(table.c.organization_id == organization_id).order_by(table.c.id)))


# --- templates and stages --------------------------------------------------------------------


def templates_listing(organization_id: int) -> Select[Any]:
    return select(_template).where(_template.c.organization_id == organization_id)


async def templates_by_ids(db: AsyncSession, organization_id: int, ids: Sequence[int]) -> list[R | None]:
    rows = await db.execute(select(_template).where(_template.c.id.in_(ids), _template.c.organization_id == organization_id))
    return _by_id(list(rows), ids)


async def stages_by_template_ids(db: AsyncSession, template_ids: Sequence[int]) -> list[list[R]]:
    rows = await db.execute(select(_stage).where(_stage.c.template_id.in_(template_ids)).order_by(_stage.c.position))
    return _grouped(list(rows), "template_id", template_ids)


async def stages_by_ids(db: AsyncSession, organization_id: int, ids: Sequence[int]) -> list[R | None]:
    rows = await db.execute(
        select(_stage)
        .join(_template, _template.c.id == _stage.c.template_id)
        .where(_stage.c.id.in_(ids), _template.c.organization_id == organization_id)
    )
    return _by_id(list(rows), ids)


async def session_counts_by_template_ids(db: AsyncSession, template_ids: Sequence[int]) -> list[dict[SessionStatus, int]]:
    rows = await db.execute(
        select(_session.c.template_id, _session.c.status, func.count())
        .where(_session.c.template_id.in_(template_ids))
        .group_by(_session.c.template_id, _session.c.status)
    )
    counts: dict[int, dict[SessionStatus, int]] = defaultdict(dict)
    for template_id, status, n in rows:
        counts[template_id][status] = n
    return [counts.get(key, {}) for key in template_ids]


# --- participants and applications -------------------------------------------------------------


async def participants_by_ids(db: AsyncSession, organization_id: int, ids: Sequence[int]) -> list[R | None]:
    rows = await db.execute(
        select(_participant).where(_participant.c.id.in_(ids), _participant.c.organization_id == organization_id)
    )
    return _by_id(list(rows), ids)


def applications_listing(
    organization_id: int,
    *,
    template_id: int | None = None,
    participant_id: int | None = None,
    hr_status: HrStatus | None = None,
    rollup_status: RollupStatus | None = None,
) -> Select[Any]:
    query = select(_application).where(_application.c.organization_id == organization_id)
    if template_id is not None:
        query = query.where(_application.c.template_id == template_id)
    if participant_id is not None:
        query = query.where(_application.c.participant_id == participant_id)
    if hr_status is not None:
        query = query.where(_application.c.hr_status == hr_status)
    if rollup_status is not None:
        query = query.where(_application.c.rollup_status == rollup_status)
    return query


async def applications_by_ids(db: AsyncSession, organization_id: int, ids: Sequence[int]) -> list[R | None]:
    rows = await db.execute(
        select(_application).where(_application.c.id.in_(ids), _application.c.organization_id == organization_id)
    )
    return _by_id(list(rows), ids)


# --- sessions ----------------------------------------------------------------------------------


def sessions_listing(
    organization_id: int,
    *,
    template_id: int | None = None,
    statuses: Sequence[SessionStatus] | None = None,
    participant_id: int | None = None,
    application_id: int | None = None,
    stage_id: int | None = None,
) -> Select[Any]:
    query = select(_session).where(_session.c.organization_id == organization_id)
    if template_id is not None:
        query = query.where(_session.c.template_id == template_id)
    if statuses:
        query = query.where(_session.c.status.in_(list(statuses)))
    if participant_id is not None:
        query = query.where(_session.c.participant_id == participant_id)
    if application_id is not None:
        query = query.where(_session.c.application_id == application_id)
    if stage_id is not None:
        query = query.where(_session.c.stage_id == stage_id)
    return query


async def sessions_by_ids(db: AsyncSession, organization_id: int, ids: Sequence[int]) -> list[R | None]:
    rows = await db.execute(select(_session).where(_session.c.id.in_(ids), _session.c.organization_id == organization_id))
    return _by_id(list(rows), ids)


async def sessions_by_application_ids(db: AsyncSession, application_ids: Sequence[int]) -> list[list[R]]:
    """Every session of each application, newest first."""
    rows = await db.execute(
        select(_session).where(_session.c.application_id.in_(application_ids)).order_by(_session.c.id.desc())
    )
    return _grouped(list(rows), "application_id", application_ids)


async def session_by_join_token_hash(db: AsyncSession, token_hash: str) -> R | None:
    return (await db.execute(select(_session).where(_session.c.join_token_hash == token_hash))).first()


async def transcript(db: AsyncSession, session_id: int, *, after_seq: int, limit: int) -> list[R]:
    rows = await db.execute(
        select(_segment)
        .where(_segment.c.session_id == session_id, _segment.c.seq > after_seq)
        .order_by(_segment.c.seq)
        .limit(limit)
    )
    return list(rows)


async def signals(db: AsyncSession, session_id: int, *, after_seq: int, limit: int) -> list[R]:
    rows = await db.execute(
        select(_signal)
        .where(_signal.c.session_id == session_id, _signal.c.seq > after_seq)
        .order_by(_signal.c.seq)
        .limit(limit)
    )
    return list(rows)


async def signals_by_session_ids(db: AsyncSession, session_ids: Sequence[int]) -> list[list[R]]:
    rows = await db.execute(select(_signal).where(_signal.c.session_id.in_(session_ids)).order_by(_signal.c.seq))
    return _grouped(list(rows), "session_id", session_ids)


async def scorecards_by_session_ids(db: AsyncSession, session_ids: Sequence[int]) -> list[R | None]:
    rows = list(await db.execute(select(_scorecard).where(_scorecard.c.session_id.in_(session_ids))))
    found = {row.session_id: row for row in rows}
    return [found.get(key) for key in session_ids]


async def session_status(db: AsyncSession, session_id: int) -> SessionStatus | None:
    return await db.scalar(select(_session.c.status).where(_session.c.id == session_id))


async def session_is_final(db: AsyncSession, session_id: int) -> bool:
    """No event will ever come again: FAILED, CANCELLED, or COMPLETED and scored."""
    row = (
        await db.execute(
            select(_session.c.status, _scorecard.c.id)
            .outerjoin(_scorecard, _scorecard.c.session_id == _session.c.id)
            .where(_session.c.id == session_id)
        )
    ).first()
    if row is None:
        return True
    status, scorecard_id = row
    return status in (SessionStatus.FAILED, SessionStatus.CANCELLED) or scorecard_id is not None


# --- events ----------------------------------------------------------------------------------


def events_listing(
    organization_id: int, *, types: Sequence[EventType] | None = None, session_id: int | None = None
) -> Select[Any]:
    query = select(_event).where(_event.c.organization_id == organization_id)
    if types:
        query = query.where(_event.c.type.in_(list(types)))
    if session_id is not None:
        query = query.where(_event.c.session_id == session_id)
    return query


async def events_by_ids(db: AsyncSession, organization_id: int, ids: Sequence[int]) -> list[R | None]:
    rows = await db.execute(select(_event).where(_event.c.id.in_(ids), _event.c.organization_id == organization_id))
    return _by_id(list(rows), ids)


async def events_by_session_ids(db: AsyncSession, session_ids: Sequence[int]) -> list[list[R]]:
    rows = await db.execute(select(_event).where(_event.c.session_id.in_(session_ids)).order_by(_event.c.sequence))
    return _grouped(list(rows), "session_id", session_ids)


async def transcripts_by_session_ids(
    db: AsyncSession, session_ids: Sequence[int], *, after_seq: int, limit: int
) -> list[list[R]]:
    """Up to `limit` segments after `after_seq` of each session, in seq order."""
    rows = await db.execute(
        select(_segment)
        .where(_segment.c.session_id.in_(session_ids), _segment.c.seq > after_seq, _segment.c.seq <= after_seq + limit)
        .order_by(_segment.c.session_id, _segment.c.seq)
    )
    return _grouped(list(rows), "session_id", session_ids)
