"""Keyset pagination, newest first, with opaque cursors."""

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.errors import invalid

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{pk}".encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str, field: Sequence[str] = ("after",)) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    prefix, _, pk = raw.partition(":")
    if prefix != "cursor" or not pk.isdigit() or len(pk) > 18:
        raise invalid(f"not a valid cursor: {cursor!r}", field)
    return int(pk)


@dataclass(frozen=True)
class PageRequest:
    first: int
    after: int | None

    @classmethod
    def parse(cls, first: int | None, after: str | None, *, max_size: int = MAX_PAGE_SIZE) -> "PageRequest":
        size = DEFAULT_PAGE_SIZE if first is None else first
        if not 0 <= size <= max_size:
            raise invalid(f"first must be from 0 to {max_size}", ["first"])
        return cls(size, decode_cursor(after) if after is not None else None)


@dataclass
class Page:
    rows: list[Row[Any]]
    has_next: bool
    has_previous: bool


async def fetch_page(db: AsyncSession, query: Select[Any], id_column: Any, request: PageRequest) -> Page:
    """Rows of `query` after the cursor, newest (highest id) first; one extra row tells hasNextPage."""
    if request.after is not None:
        query = query.where(id_column < request.after)
    rows = list(await db.execute(query.order_by(id_column.desc()).limit(request.first + 1)))
    return Page(rows=rows[: request.first], has_next=len(rows) > request.first, has_previous=request.after is not None)


async def count(db: AsyncSession, query: Select[Any]) -> int:
    return int(await db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
