"""Reaching the PostgreSQL and Redis of the machine: skipped on a workstation without
them, a failure under CI (where they must run)."""

import os
from typing import NoReturn

import pytest

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def unavailable(reason: str) -> NoReturn:
    if in_ci():
        pytest.fail(f"{reason}; CI is set, so this fails instead of skipping")
    pytest.skip(reason)


def with_database(url: str, name: str) -> str:
    """The same server URL with another database name."""
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"
