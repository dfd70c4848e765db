"""The Applications panel's status, from the latest session per stage."""

import pytest

from models import Decision, HrStatus, RollupStatus, SessionStatus
from services.rollup import LatestSession, compute_rollup

STAGES = [10, 20, 30]


def latest(*items: tuple[int, SessionStatus, Decision | None]) -> dict[int, LatestSession]:
    return {stage: LatestSession(stage, status, decision) for stage, status, decision in items}


@pytest.mark.parametrize(
    ("hr", "sessions", "expected"),
    [
        (HrStatus.PENDING, {}, (RollupStatus.AWAITING_APPROVAL, 10)),
        (HrStatus.REJECTED, latest((10, SessionStatus.CANCELLED, None)), (RollupStatus.REJECTED, None)),
        (HrStatus.APPROVED, {}, (RollupStatus.NOT_SCHEDULED, 10)),
        (HrStatus.APPROVED, latest((10, SessionStatus.SCHEDULED, None)), (RollupStatus.SCHEDULED, 10)),
        (HrStatus.APPROVED, latest((10, SessionStatus.IN_PROGRESS, None)), (RollupStatus.IN_PROGRESS, 10)),
        (HrStatus.APPROVED, latest((10, SessionStatus.COMPLETED, None)), (RollupStatus.AWAITING_SCORE, 10)),
        (HrStatus.APPROVED, latest((10, SessionStatus.COMPLETED, Decision.FAIL)), (RollupStatus.NOT_PASSED, 10)),
        (HrStatus.APPROVED, latest((10, SessionStatus.FAILED, None)), (RollupStatus.FAILED, 10)),
        (HrStatus.APPROVED, latest((10, SessionStatus.CANCELLED, None)), (RollupStatus.CANCELLED, 10)),
        # Passed stage 1 and nothing scheduled for stage 2 yet.
        (HrStatus.APPROVED, latest((10, SessionStatus.COMPLETED, Decision.PASS)), (RollupStatus.NOT_SCHEDULED, 20)),
        # The furthest stage with a session decides.
        (
            HrStatus.APPROVED,
            latest((10, SessionStatus.COMPLETED, Decision.PASS), (20, SessionStatus.SCHEDULED, None)),
            (RollupStatus.SCHEDULED, 20),
        ),
        (
            HrStatus.APPROVED,
            latest(
                (10, SessionStatus.COMPLETED, Decision.PASS),
                (20, SessionStatus.COMPLETED, Decision.PASS),
                (30, SessionStatus.COMPLETED, Decision.PASS),
            ),
            (RollupStatus.PASSED_ALL_STAGES, 30),
        ),
    ],
)
def test_rollup(hr: HrStatus, sessions: dict[int, LatestSession], expected: tuple[RollupStatus, int | None]) -> None:
    assert compute_rollup(hr, STAGES, sessions) == expected
