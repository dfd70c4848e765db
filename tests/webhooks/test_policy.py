"""The retry schedule, jitter, Retry-After."""

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from services.webhooks.policy import DEFAULT_SCHEDULE, RetryPolicy
from services.webhooks.sender import parse_retry_after


def test_the_default_schedule_spans_about_three_days() -> None:
    total = sum(DEFAULT_SCHEDULE)
    assert timedelta(days=2.5) <= timedelta(seconds=total) <= timedelta(days=3.5)
    assert DEFAULT_SCHEDULE[0] == 5 and list(DEFAULT_SCHEDULE) == sorted(DEFAULT_SCHEDULE)


def test_waits_follow_the_schedule_with_jitter_and_end_when_it_is_used_up() -> None:
    policy = RetryPolicy(schedule=(10.0, 100.0), jitter=0.2, rng=random.Random(7))
    waits = [policy.next_delay(1) for _ in range(200)]
    assert all(w is not None and 8.0 <= w <= 12.0 for w in waits)
    assert len({round(w or 0, 3) for w in waits}) > 100  # spread, not one instant
    second = policy.next_delay(2)
    assert second is not None and 80.0 <= second <= 120.0
    assert policy.next_delay(3) is None


def test_retry_after_lengthens_a_wait_but_never_shortens_it() -> None:
    policy = RetryPolicy(schedule=(10.0,), jitter=0.0)
    assert policy.next_delay(1, retry_after=60.0) == 60.0
    assert policy.next_delay(1, retry_after=1.0) == 10.0
    assert policy.next_delay(1, retry_after=10 * 86400.0) == 86400.0  # capped


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
