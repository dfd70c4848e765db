"""The benchmark's dataset, generated in memory as rows ready for COPY.

Histories follow the lifecycle the services enforce (schedule, start, complete or fail,
cancel, score, a PASS auto-scheduling the next stage, retries as fresh rows), so the
rows look like what the API would have written, only written in bulk: going through the
services costs minutes for 5,000 applications. Events carry the exact webhook data
(services.events.session_data on a models.Session in the state of that moment) and each
application's rollup comes from services.rollup.compute_rollup.
"""

import enum
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from models import (
    ApplicationSource,
    Decision,
    EventType,
    HrStatus,
    Scorecard,
    Session,
    SessionStatus,
    Severity,
    Speaker,
)
from services.events import scorecard_data, session_data
from services.rollup import LatestSession, compute_rollup
from services.scoring import weighted_score
from services.sessions import hash_join_token, join_token

Record = tuple[Any, ...]

# Column orders of the COPY records below (each matches the table in models/).
COLUMNS: dict[str, tuple[str, ...]] = {
    "participant": ("id", "organization_id", "name", "email", "created_at"),
    "application": (
        "id", "organization_id", "template_id", "participant_id", "source", "hr_status", "hr_reason",
        "created_at", "rollup_status", "rollup_stage_id",
    ),
    "session": (
        "id", "organization_id", "application_id", "stage_id", "template_id", "participant_id", "status",
        "attempt", "previous_attempt_id", "caused_by_event_id", "join_nonce", "join_token_hash", "scheduled_for",
        "created_at", "started_at", "ended_at", "cancelled_at", "failure_reason", "cancel_reason", "recording_url",
        "transcript_seq", "signal_seq", "event_seq",
    ),
    "event": (
        "id", "organization_id", "session_id", "application_id", "template_id", "type", "sequence", "occurred_at",
        "data",
    ),
    "transcript_segment": ("id", "session_id", "seq", "speaker", "text", "start_ms", "end_ms", "created_at"),
    "authenticity_signal": ("id", "session_id", "seq", "kind", "severity", "detail", "occurred_at", "created_at"),
    "scorecard": ("id", "session_id", "overall_score", "decision", "criteria", "summary", "finalized_at"),
}
# Parents before children, so the foreign keys hold at every step.
TABLE_ORDER = tuple(COLUMNS)


@dataclass(frozen=True)
class Shape:
    """What to generate; part of the seeded database's fingerprint."""

    applications: int = 5000
    max_sessions: int = 5
    segments_per_session: int = 20
    max_signals: int = 3
    rejected_share: float = 0.04
    seed: int = 20240601


@dataclass(frozen=True)
class StageRef:
    id: int
    position: int
    pass_threshold: float


@dataclass(frozen=True)
class Scope:
    """What already exists in the database before the bulk rows go in."""

    organization_id: int
    template_id: int
    stages: tuple[StageRef, ...]
    join_secret: bytes


@dataclass
class Rows:
    tables: dict[str, list[Record]] = field(default_factory=lambda: {name: [] for name in COLUMNS})
    rollups: Counter[str] = field(default_factory=Counter)
    session_statuses: Counter[str] = field(default_factory=Counter)


class Outcome(enum.Enum):
    """How one session ends up."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in progress"
    AWAITING_SCORE = "completed, not scored"
    PASS = "scored PASS"
    NOT_PASSED = "scored FAIL"
    FAILED = "failed"
    CANCELLED = "cancelled"


# A session followed by another must be closed (one open session per stage, and a PASS
# schedules the next stage itself); the last one of a history may be in any state.
_MIDWAY = {Outcome.PASS: 50, Outcome.NOT_PASSED: 15, Outcome.FAILED: 20, Outcome.CANCELLED: 15}
_LAST = {
    Outcome.SCHEDULED: 20, Outcome.IN_PROGRESS: 15, Outcome.AWAITING_SCORE: 15, Outcome.NOT_PASSED: 20,
    Outcome.FAILED: 10, Outcome.CANCELLED: 10, Outcome.PASS: 10,
}
# Rejecting an application cancels its scheduled sessions, so none is left open.
_LAST_REJECTED = {Outcome.NOT_PASSED: 40, Outcome.FAILED: 30, Outcome.CANCELLED: 30}

_QUESTIONS = (
    "Tell me about a system you designed end to end and the trade-offs you made.",
    "How would you find the cause of a latency regression that only shows up in production?",
    "Walk me through how you would model retries for an unreliable payment provider.",
    "What would you change first in a codebase where every deploy breaks something?",
    "How do you decide between a queue and a synchronous call between two services?",
)
_ANSWERS = (
    "I started from the read path, since that is what users feel, and kept writes simple and idempotent.",
    "First I would compare the traces before and after the deploy, then look at the slowest spans and the database.",
    "Each attempt gets an idempotency key, the state lives in one table, and a worker retries with backoff.",
    "I would add a smoke test of the main flows to the pipeline, then make deploys small and reversible.",
    "It depends on whether the caller needs the answer now; if not, a queue decouples failures and load.",
)
_SIGNAL_KINDS = ("tab_switch", "second_voice", "paste_detected", "gaze_away")
_CRITERIA = (("Depth", 2.0), ("Communication", 1.0), ("Problem solving", 1.0))


class _Ids:
    """Primary keys handed out here, so rows can refer to each other before they exist."""

    def __init__(self, start: dict[str, int]) -> None:
        self._next = dict(start)

    def take(self, table: str) -> int:
        value = self._next[table]
        self._next[table] = value + 1
        return value


def _pick(rng: random.Random, weights: dict[Outcome, int]) -> Outcome:
    outcomes = list(weights)
    return rng.choices(outcomes, weights=[weights[o] for o in outcomes])[0]


class _Builder:
    def __init__(self, shape: Shape, scope: Scope, first_ids: dict[str, int]) -> None:
        self.shape = shape
        self.scope = scope
        self.rng = random.Random(shape.seed)
        self.ids = _Ids(first_ids)
        self.rows = Rows()
        self.epoch = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
        self.decisions: dict[int, Decision] = {}

    def add(self, table: str, record: Record) -> None:
        self.rows.tables[table].append(record)

    # --- applications ---------------------------------------------------------------------

    def application(self, index: int) -> None:
        scope, rng = self.scope, self.rng
        created = self.epoch + timedelta(minutes=7 * index)
        participant_id = self.ids.take("participant")
        self.add("participant", (participant_id, scope.organization_id, f"Candidate {index:05d}",
                                 f"candidate{index:05d}@bench.example", created))
        application_id = self.ids.take("application")
        rejected = rng.random() < self.shape.rejected_share
        sessions = self.history(application_id, participant_id, created + timedelta(hours=1), rejected)
        hr_status = HrStatus.REJECTED if rejected else HrStatus.APPROVED
        rollup, rollup_stage = compute_rollup(hr_status, [s.id for s in scope.stages], self.latest(sessions))
        source = ApplicationSource.PUBLIC_APPLY if rng.random() < 0.6 else ApplicationSource.MANUAL
        self.add("application", (
            application_id, scope.organization_id, scope.template_id, participant_id, source.name, hr_status.name,
            "not a fit for the role" if rejected else None, created, rollup.name, rollup_stage,
        ))
        self.rows.rollups[rollup.name] += 1
        for session in sessions:
            self.rows.session_statuses[session.status.name] += 1
            self.add("session", tuple(_column_value(getattr(session, c)) for c in COLUMNS["session"]))

    def latest(self, sessions: list[Session]) -> dict[int, LatestSession]:
        latest: dict[int, LatestSession] = {}
        for session in sessions:  # oldest first, so the newest of each stage is kept
            assert session.id is not None
            latest[session.stage_id] = LatestSession(session.stage_id, session.status, self.decisions.get(session.id))
        return latest

    def history(self, application_id: int, participant_id: int, start: datetime, rejected: bool) -> list[Session]:
        """1..max_sessions sessions, oldest first, as a recruiter and the AI would have produced them."""
        stages, rng = self.scope.stages, self.rng
        slots = rng.randint(1, self.shape.max_sessions)
        sessions: list[Session] = []
        stage_index, caused_by, clock = 0, None, start
        for slot in range(slots):
            stage = stages[stage_index]
            final_stage = stage_index == len(stages) - 1
            if slot < slots - 1:
                outcome = _pick(rng, _MIDWAY)
            else:
                weights = _LAST_REJECTED if rejected else _LAST
                outcome = _pick(rng, {o: w for o, w in weights.items() if o is not Outcome.PASS or final_stage})
            previous = next((s for s in reversed(sessions) if s.stage_id == stage.id), None)
            session = self.schedule(application_id, participant_id, stage, previous, caused_by, clock)
            sessions.append(session)
            clock, scored_event = self.play(session, stage, outcome, clock, rejected)
            if outcome is not Outcome.PASS:
                caused_by = None
            elif final_stage:
                break
            else:
                stage_index, caused_by = stage_index + 1, scored_event
        return sessions

    # --- one session ------------------------------------------------------------------------

    def schedule(
        self, application_id: int, participant_id: int, stage: StageRef, previous: Session | None,
        caused_by: int | None, at: datetime,
    ) -> Session:
        scope = self.scope
        nonce = f"bench-{self.rng.getrandbits(128):032x}"
        session = Session(
            id=self.ids.take("session"),
            organization_id=scope.organization_id,
            application_id=application_id,
            stage_id=stage.id,
            template_id=scope.template_id,
            participant_id=participant_id,
            status=SessionStatus.SCHEDULED,
            attempt=previous.attempt + 1 if previous is not None else 1,
            previous_attempt_id=previous.id if previous is not None else None,
            caused_by_event_id=caused_by,
            join_nonce=nonce,
            join_token_hash=hash_join_token(join_token(scope.join_secret, nonce)),
            # Recruiters pick a slot; sessions scheduled by a PASS have none.
            scheduled_for=at + timedelta(days=1) if caused_by is None else None,
            created_at=at,
        )
        self.event(session, EventType.SESSION_CREATED, at)
        return session

    def play(
        self, session: Session, stage: StageRef, outcome: Outcome, at: datetime, rejected: bool
    ) -> tuple[datetime, int | None]:
        """Drive the session to its outcome; returns the clock after it and the scored event id."""
        if outcome is Outcome.SCHEDULED:
            return at + timedelta(hours=2), None
        if outcome is Outcome.CANCELLED:
            at += timedelta(hours=5)
            session.status = SessionStatus.CANCELLED
            session.cancelled_at = session.ended_at = at
            session.cancel_reason = "application rejected" if rejected else "candidate asked to reschedule"
            self.event(session, EventType.SESSION_CANCELLED, at)
            return at + timedelta(hours=1), None
        at += timedelta(days=1)
        session.status = SessionStatus.IN_PROGRESS
        session.started_at = at
        self.event(session, EventType.SESSION_STARTED, at)
        self.transcript(session, at)
        self.signals(session, at)
        if outcome is Outcome.IN_PROGRESS:
            return at + timedelta(hours=1), None
        at += timedelta(minutes=40)
        session.ended_at = at
        if outcome is Outcome.FAILED:
            session.status = SessionStatus.FAILED
            session.failure_reason = "the candidate's connection dropped"
            self.event(session, EventType.SESSION_FAILED, at)
            return at + timedelta(hours=1), None
        session.status = SessionStatus.COMPLETED
        session.recording_url = f"https://recordings.bench.example/{session.id}.webm"
        self.event(session, EventType.SESSION_COMPLETED, at)
        if outcome is Outcome.AWAITING_SCORE:
            return at + timedelta(hours=1), None
        at += timedelta(hours=3)
        scored = self.scorecard(session, stage, passed=outcome is Outcome.PASS, at=at)
        return at, scored  # a PASS schedules the next stage in the same transaction

    def event(self, session: Session, event_type: EventType, at: datetime, *, scorecard: Scorecard | None = None) -> int:
        session.event_seq += 1
        data: dict[str, Any] = {"sequence": session.event_seq, "session": session_data(session)}
        if scorecard is not None:
            data["scorecard"] = scorecard_data(scorecard)
        event_id = self.ids.take("event")
        self.add("event", (
            event_id, session.organization_id, session.id, session.application_id, session.template_id,
            event_type.name, session.event_seq, at, orjson.dumps(data).decode(),
        ))
        return event_id

    def transcript(self, session: Session, started: datetime) -> None:
        rng, offset = self.rng, 0
        for seq in range(1, self.shape.segments_per_session + 1):
            speaker = Speaker.AI if seq % 2 else Speaker.CANDIDATE
            text = rng.choice(_QUESTIONS if speaker is Speaker.AI else _ANSWERS)
            length = rng.randint(4_000, 30_000)
            self.add("transcript_segment", (
                self.ids.take("transcript_segment"), session.id, seq, speaker.name, text, offset, offset + length,
                started + timedelta(milliseconds=offset + length),
            ))
            offset += length + rng.randint(200, 2_000)
        session.transcript_seq = self.shape.segments_per_session

    def signals(self, session: Session, started: datetime) -> None:
        rng = self.rng
        count = rng.randint(0, self.shape.max_signals)
        for seq in range(1, count + 1):
            at = started + timedelta(minutes=5 * seq)
            kind = rng.choice(_SIGNAL_KINDS)
            severity = rng.choice(list(Severity))
            self.add("authenticity_signal", (
                self.ids.take("authenticity_signal"), session.id, seq, kind, severity.name,
                f"{kind.replace('_', ' ')} at minute {5 * seq}", at, at + timedelta(seconds=2),
            ))
        session.signal_seq = count

    def scorecard(self, session: Session, stage: StageRef, *, passed: bool, at: datetime) -> int:
        # Aim well clear of the threshold so the noise below cannot flip the decision.
        threshold, rng = stage.pass_threshold, self.rng
        target = rng.uniform(threshold + 5, 98) if passed else rng.uniform(20, threshold - 5)
        criteria: list[dict[str, object]] = [
            {"name": name, "score": round(min(100.0, max(0.0, target + rng.uniform(-4, 4))), 1), "weight": weight,
             "comment": None}
            for name, weight in _CRITERIA
        ]
        overall = weighted_score(criteria)
        decision = Decision.PASS if overall >= threshold else Decision.FAIL
        assert (decision is Decision.PASS) == passed, (overall, threshold)
        assert session.id is not None
        card = Scorecard(
            id=self.ids.take("scorecard"), session_id=session.id, overall_score=overall, decision=decision,
            criteria=criteria, summary=f"Overall {overall:.1f} against a threshold of {threshold:.0f}.", finalized_at=at,
        )
        self.add("scorecard", (
            card.id, card.session_id, card.overall_score, decision.name, orjson.dumps(criteria).decode(), card.summary,
            at,
        ))
        self.decisions[session.id] = decision
        return self.event(session, EventType.SESSION_SCORED, at, scorecard=card)


def _column_value(value: Any) -> Any:
    # SQLAlchemy stores an enum by its name (native_enum=False keeps it in a VARCHAR).
    return value.name if isinstance(value, enum.Enum) else value


def generate(shape: Shape, scope: Scope, first_ids: dict[str, int]) -> Rows:
    """Every row of the dataset, deterministic for a given shape and scope."""
    builder = _Builder(shape, scope, first_ids)
    for index in range(shape.applications):
        builder.application(index)
    return builder.rows


__all__ = ["COLUMNS", "TABLE_ORDER", "Outcome", "Rows", "Scope", "Shape", "StageRef", "generate"]
