"""When to try again: the retry schedule, jitter, Retry-After and auto-disable."""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

# Waits after the 1st, 2nd, ... failed attempt: 10 attempts over about two and a half days.
DEFAULT_SCHEDULE: tuple[float, ...] = (
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    10 * 3600,
    10 * 3600,
    24 * 3600,
)
# A receiver's Retry-After is honoured up to this long.
RETRY_AFTER_MAX = 24 * 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    # Each wait is scaled by a random factor in [1 - jitter, 1 + jitter], so deliveries that
    # failed together (a receiver outage) do not all come back at the same instant.
    jitter: float = 0.2
    # An endpoint whose every attempt has failed for this long is disabled.
    disable_after: timedelta = timedelta(days=5)
    rng: random.Random = field(default_factory=random.Random, compare=False)

    @classmethod
    def build(cls, schedule: Sequence[float] | None = None, *, disable_after: float | None = None) -> "RetryPolicy":
        """The policy with an optional schedule override (seconds) and disable delay (seconds)."""
        return cls(
            schedule=tuple(schedule) if schedule else DEFAULT_SCHEDULE,
            disable_after=timedelta(seconds=disable_after) if disable_after is not None else timedelta(days=5),
        )

    def next_delay(self, failed_steps: int, retry_after: float | None = None) -> float | None:
        """Seconds until the next attempt after the `failed_steps`-th failure in a row
        (1-based), or None when the schedule is used up and the delivery has failed.

        Retry-After (429/503) lengthens the wait but never shortens it: a receiver that asks
        for a second every time should not burn through three days of retries in ten.
        """
        if failed_steps > len(self.schedule):
            return None
        base = self.schedule[failed_steps - 1]
        delay = base * (1 + self.rng.uniform(-self.jitter, self.jitter)) if self.jitter else base
        if retry_after is not None:
            delay = max(delay, min(retry_after, RETRY_AFTER_MAX))
        return delay
