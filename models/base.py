"""Column helpers shared by the tables."""

import enum
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which drops the offset) and PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def enum_column(enum_cls: type[enum.Enum], **kwargs: Any) -> sa.Column[Any]:
    """An enum stored as its name in a VARCHAR: portable, and new values need no migration."""
    return sa.Column(sa.Enum(enum_cls, native_enum=False, create_constraint=False, length=20), **kwargs)


def time_column(**kwargs: Any) -> sa.Column[Any]:
    return sa.Column(UTCDateTime(), **kwargs)
