"""Live subscriptions. The gapless logic lives in services.streams; this maps it to types."""

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError

from models import EventType as EventTypeValue
from resolvers.common import decode
from schema.context import Info
from schema.errors import to_graphql_error
from schema.inputs import EventFilter
from schema.types.events import Event
from schema.types.sessions import AuthenticitySignal, Session, TranscriptSegment
from services import reads, streams
from services.auth import Actor, Permission
from services.channels import loads, organization_events_channel, session_events_channel
from services.errors import AccessError, DomainError, not_found
from services.live import RESYNC, LiveOverflow, LiveUnavailable

T = TypeVar("T")

# After these a session's snapshot never changes again.
_FINAL_EVENTS = {EventTypeValue.SESSION_SCORED, EventTypeValue.SESSION_FAILED, EventTypeValue.SESSION_CANCELLED}


async def _guarded(info: Info, stream: AsyncIterator[T], resume_hint: str) -> AsyncGenerator[T, None]:
    """Turn domain failures into GraphQL errors, and give each message fresh loaders."""
    try:
        async for item in stream:
            info.context.fresh_loaders()
            yield item
    except LiveOverflow as error:
        raise GraphQLError(
            f"this subscriber fell too far behind; subscribe again {resume_hint}",
            extensions={"code": "RESUME_REQUIRED"},
        ) from error
    except LiveUnavailable as error:
        raise GraphQLError(
            f"live updates are unavailable for a moment; subscribe again {resume_hint}",
            extensions={"code": "UNAVAILABLE"},
        ) from error


async def _session_in_scope(info: Info, session_id: strawberry.ID, field: str) -> tuple[Actor, int]:
    try:
        actor = info.context.require(Permission.READ_SESSIONS)
        pk = decode(session_id, "Session", [field])
        async with info.context.runtime.database.read() as db:
            found = await reads.sessions_by_ids(db, actor.organization_id, [pk])
        if found[0] is None:
            raise not_found("Session", [field])
    except (DomainError, AccessError) as error:
        raise to_graphql_error(error) from error
    return actor, pk


async def _items(info: Info, session_id: strawberry.ID, after_seq: int | None, kind: str) -> AsyncIterator[dict[str, Any]]:
    _, pk = await _session_in_scope(info, session_id, "sessionId")
    runtime = info.context.runtime
    open_stream = streams.transcript_stream if kind == "transcript" else streams.signal_stream
    last = after_seq or 0
    async for item in _guarded(info, open_stream(runtime.live, runtime.database, pk, last), "with afterSeq = the last seq you saw"):
        yield item


@strawberry.type(name="Subscription")
class Subscriptions:
    @strawberry.subscription(description="A snapshot of the session at each of its events (status change or scorecard).")
    async def session_updated(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Session, None]:
        _, pk = await _session_in_scope(info, id, "id")
        live = info.context.runtime.live

        async def snapshots() -> AsyncIterator[None]:
            """One tick per snapshot to send: now, then at each event (or after a resync)."""
            async with live.subscribe(session_events_channel(pk)) as messages:
                yield None  # the current state first, so a live view needs no separate query
                async with info.context.runtime.database.read() as db:
                    if await reads.session_is_final(db, pk):
                        return  # nothing will ever change again
                async for message in messages:
                    yield None
                    if message is not RESYNC and EventTypeValue(loads(message)["type"]) in _FINAL_EVENTS:
                        return

        async for _ in _guarded(info, snapshots(), "to get the current snapshot"):
            yield await info.context.loaders.session_by_id.load(pk)  # type: ignore[misc]

    @strawberry.subscription(
        description="Stored segments after afterSeq first, then live ones, each once and in order; completes once the session is terminal."
    )
    async def transcript(
        self, info: Info, session_id: strawberry.ID, after_seq: int | None = None
    ) -> AsyncGenerator[TranscriptSegment, None]:
        async for item in _items(info, session_id, after_seq, "transcript"):
            yield TranscriptSegment.from_message(item)

    @strawberry.subscription(description="Likewise for authenticity signals.")
    async def authenticity_signals(
        self, info: Info, session_id: strawberry.ID, after_seq: int | None = None
    ) -> AsyncGenerator[AuthenticitySignal, None]:
        async for item in _items(info, session_id, after_seq, "signals"):
            yield AuthenticitySignal.from_message(item)

    @strawberry.subscription(
        description="The same events that webhooks carry, live, for the organization or narrowed by the filter."
    )
    async def events(self, info: Info, filter: EventFilter | None = None) -> AsyncGenerator[Event, None]:
        try:
            actor = info.context.require(Permission.READ_SESSIONS)
            wanted = _EventMatcher.parse(filter)
        except (DomainError, AccessError) as error:
            raise to_graphql_error(error) from error
        live = info.context.runtime.live

        async def matching() -> AsyncIterator[dict[str, Any]]:
            async with live.subscribe(organization_events_channel(actor.organization_id)) as messages:
                async for message in messages:
                    if message is RESYNC:
                        continue  # events published during an outage are in Query.events
                    data = loads(message)
                    if wanted.matches(data):
                        yield data

        async for data in _guarded(info, matching(), "and read missed events with Query.events"):
            yield Event.from_message(data)


class _EventMatcher:
    def __init__(self, types: set[str], template: int | None, application: int | None, session: int | None) -> None:
        self.types, self.template, self.application, self.session = types, template, application, session

    @classmethod
    def parse(cls, event_filter: EventFilter | None) -> "_EventMatcher":
        if event_filter is None:
            return cls(set(), None, None, None)
        f = event_filter
        return cls(
            {t.value for t in f.types or []},
            decode(f.template_id, "Template", ["filter", "templateId"]) if f.template_id else None,
            decode(f.application_id, "Application", ["filter", "applicationId"]) if f.application_id else None,
            decode(f.session_id, "Session", ["filter", "sessionId"]) if f.session_id else None,
        )

    def matches(self, data: dict[str, Any]) -> bool:
        return (
            (not self.types or data["type"] in self.types)
            and (self.template is None or data["templateId"] == self.template)
            and (self.application is None or data["applicationId"] == self.application)
            and (self.session is None or data["sessionId"] == self.session)
        )
