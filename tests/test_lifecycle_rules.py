"""The transition table, pair by pair (pure: no I/O)."""

import pytest

from models import ALLOWED_TRANSITIONS, InvalidTransition, Session, SessionStatus

ALLOWED = {
    (SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS),
    (SessionStatus.SCHEDULED, SessionStatus.CANCELLED),
    (SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED),
    (SessionStatus.IN_PROGRESS, SessionStatus.FAILED),
}


def _session(status: SessionStatus) -> Session:
    return Session(
        organization_id=1, application_id=1, stage_id=1, template_id=1, participant_id=1,
        status=status, join_nonce="n", join_token_hash="h",
    )


@pytest.mark.parametrize("current", list(SessionStatus))
@pytest.mark.parametrize("target", list(SessionStatus))
def test_every_pair_follows_the_table(current: SessionStatus, target: SessionStatus) -> None:
    session = _session(current)
    if (current, target) in ALLOWED:
        session.transition_to(target)
        assert session.status is target
    else:
        with pytest.raises(InvalidTransition):
            session.transition_to(target)
        assert session.status is current


def test_terminal_states_have_no_way_out() -> None:
    for status in (SessionStatus.COMPLETED, SessionStatus.FAILED, SessionStatus.CANCELLED):
        assert status.is_terminal
        assert ALLOWED_TRANSITIONS[status] == frozenset()
