"""The Node interface and Relay-style connections."""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from services.pagination import Page, PageRequest, encode_cursor

T = TypeVar("T")


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    """Named by Strawberry after its node type: ApplicationConnection, SessionConnection, ..."""

    page_info: PageInfo
    edges: list[Edge[T]]
    total: strawberry.Private[int | Callable[[], Awaitable[int]]]

    @strawberry.field
    async def total_count(self) -> int:
        # Counted only when asked for: a COUNT over a large filter is not free.
        return self.total if isinstance(self.total, int) else await self.total()


def connection(
    nodes: Sequence[Any], keys: Sequence[int], *, has_next: bool, has_previous: bool, total: Any
) -> Connection[Any]:
    edges = [Edge(cursor=encode_cursor(key), node=node) for node, key in zip(nodes, keys, strict=True)]
    return Connection(
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        edges=edges,
        total=total,
    )


def connection_from_page(page: Page, nodes: Sequence[Any], total: Any) -> Connection[Any]:
    return connection(nodes, [row.id for row in page.rows], has_next=page.has_next, has_previous=page.has_previous, total=total)


def connection_from_list(items: Sequence[Any], keys: Sequence[int], request: PageRequest) -> Connection[Any]:
    """Page through an already loaded list, newest first (keys descending)."""
    start = 0
    if request.after is not None:
        start = next((i for i, key in enumerate(keys) if key < request.after), len(keys))
    end = start + request.first
    return connection(
        items[start:end],
        keys[start:end],
        has_next=end < len(items),
        has_previous=request.after is not None,
        total=len(items),
    )
