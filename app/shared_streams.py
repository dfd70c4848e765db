"""Executing a subscription once for every subscriber that shares it.

Strawberry runs the selection of each subscription message once per subscriber (about
200 us of CPU each, measured). For a live view watched by many dashboards that is the
whole cost, and it is the same work: the same document, the same variables, the same
access (organization and role) give the same bytes. So subscribers with equal keys join
one *group*: the group runs the subscription once, serializes each result once, and
every member's connection sends those bytes under its own operation id.

Replayable streams (transcript, authenticitySignals) keep what the group has sent, so a
subscriber joining later first gets that history and then the live messages: exactly
what a private subscription started then would have produced, since stored items never
change. `events` groups keep no history: a private subscription would not replay either.
`sessionUpdated` is not shared (its first message is the state at subscribe time).

Each member has a bounded queue; a member that falls behind is dropped with an error
telling its client to resume from its last seq, without slowing the others.
"""

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from graphql.error import GraphQLSyntaxError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

logger = logging.getLogger(__name__)

# Root fields whose groups replay their history to late joiners, and those that do not.
REPLAYABLE = frozenset({"transcript", "authenticitySignals"})
LIVE_ONLY = frozenset({"events"})
HISTORY_LIMIT = 20_000

GroupKey = tuple[Any, ...]


@dataclass(frozen=True)
class Frame:
    """One message of a group: "next" (a payload) or "error" (a list of errors), JSON text."""

    kind: str
    payload: str


END = Frame("end", "")


class MemberOverflow(Exception):
    """This subscriber's queue overflowed; it must resubscribe from its last seq."""


def shareable_field(query: str, operation_name: str | None) -> str | None:
    """The root field when the document is a single shareable subscription, else None."""
    try:
        document = parse(query)
    except GraphQLSyntaxError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [op for op in operations if op.name is not None and op.name.value == operation_name]
    if len(operations) != 1 or len(document.definitions) != 1:
        return None  # fragments or several operations: keep the general path
    operation = operations[0]
    if operation.operation is not OperationType.SUBSCRIPTION or operation.directives:
        return None
    selections = operation.selection_set.selections
    if len(selections) != 1:
        return None
    root = selections[0]
    name = getattr(root, "name", None)
    if name is None or getattr(root, "directives", None):
        return None
    field_name: str = name.value
    return field_name if field_name in REPLAYABLE | LIVE_ONLY else None


def encode(result: ExecutionResult) -> Frame:
    if isinstance(result, PreExecutionError):
        return Frame("error", orjson.dumps([error.formatted for error in result.errors or []]).decode())
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return Frame("next", orjson.dumps(payload).decode())


@dataclass(eq=False)
class Member:
    limit: int
    pending: deque[Frame] = field(default_factory=deque)
    waiter: asyncio.Future[None] | None = None
    overflowed: bool = False

    def offer(self, frame: Frame) -> bool:
        if self.overflowed:
            return False  # once behind, it takes nothing more: it must not skip frames
        if len(self.pending) >= self.limit:
            self.overflowed = True
            return False
        self.pending.append(frame)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        return True

    async def frames(self) -> AsyncIterator[Frame]:
        pending = self.pending
        while True:
            while not pending:
                if self.overflowed:
                    raise MemberOverflow
                self.waiter = asyncio.get_running_loop().create_future()
                try:
                    await self.waiter
                finally:
                    self.waiter = None
            frame = pending.popleft()
            if frame is END:
                return
            yield frame


@dataclass(eq=False)
class Group:
    key: GroupKey
    replayable: bool
    members: set[Member] = field(default_factory=set)
    history: list[Frame] = field(default_factory=list)
    history_complete: bool = True
    finished: bool = False
    task: asyncio.Task[None] | None = None

    def broadcast(self, frame: Frame) -> None:
        if self.replayable:
            if len(self.history) < HISTORY_LIMIT:
                self.history.append(frame)
            else:
                self.history_complete = False
        for member in list(self.members):
            if not member.offer(frame):
                self.members.discard(member)  # it raises MemberOverflow on its next read


class SharedStreams:
    """The groups of one process."""

    def __init__(self, *, queue_size: int) -> None:
        self.queue_size = queue_size
        self.groups: dict[GroupKey, Group] = {}

    def stats(self) -> dict[str, int]:
        return {"groups": len(self.groups), "members": sum(len(g.members) for g in self.groups.values())}

    @asynccontextmanager
    async def join(
        self, key: GroupKey, field_name: str, source: Callable[[], AsyncIterator[ExecutionResult]]
    ) -> AsyncIterator[Member | None]:
        """Join (or start) the group of `key`. Yields None when the group can no longer take
        late joiners (its history was too long): the caller then runs its own subscription."""
        group = self.groups.get(key)
        if group is not None and group.replayable and (
            not group.history_complete or len(group.history) >= self.queue_size
        ):
            # Its history would not fit this member's queue: a subscription of its own
            # replays from the database instead.
            yield None
            return
        if group is None:
            group = Group(key=key, replayable=field_name in REPLAYABLE)
            self.groups[key] = group
            group.task = asyncio.create_task(self._run(group, source), name=f"shared-stream {field_name}")
        member = Member(self.queue_size)
        # Joining copies the history and registers in one step (no await in between), so
        # the member sees every frame exactly once.
        for frame in group.history:
            member.offer(frame)
        group.members.add(member)
        try:
            yield member
        finally:
            group.members.discard(member)
            if not group.members and not group.finished:
                self._close(group)

    def _close(self, group: Group) -> None:
        if self.groups.get(group.key) is group:
            del self.groups[group.key]
        if group.task is not None and not group.task.done():
            group.task.cancel()

    async def _run(self, group: Group, source: Callable[[], AsyncIterator[ExecutionResult]]) -> None:
        stream = source()
        try:
            async for result in stream:
                frame = encode(result)
                group.broadcast(frame)
                if frame.kind == "error":
                    break
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - the members must hear of it, or they would wait forever
            logger.exception("shared subscription failed")
            message = GraphQLError("Internal server error in a subscription", extensions={"code": "INTERNAL_SERVER_ERROR"})
            group.broadcast(Frame("next", orjson.dumps({"data": None, "errors": [message.formatted]}).decode()))
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                with suppress(Exception):
                    await aclose()
            group.finished = True
            if self.groups.get(group.key) is group:
                del self.groups[group.key]  # later subscribers start afresh
            for member in list(group.members):
                member.offer(END)
