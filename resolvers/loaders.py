"""The request's DataLoaders, named for what they load and by what.

Every batch opens its own short read session: sibling fields resolve concurrently, and
one AsyncSession shared by concurrent batches fails. A fresh set is made per request
(and per subscription message), so nothing cached outlives what it describes.
"""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from models import SessionStatus
from models.db import Database
from schema.types.applications import Application, Participant
from schema.types.events import Event
from schema.types.sessions import AuthenticitySignal, Scorecard, Session, TranscriptSegment
from schema.types.templates import Stage, Template
from schema.types.webhooks import WebhookDelivery, WebhookEndpoint
from services import reads
from services.webhooks import reads as webhook_reads
from services.auth import Actor

K = TypeVar("K")
V = TypeVar("V")


class Loaders:
    def __init__(self, database: Database, actor: Actor | None) -> None:
        self._database = database
        # Without an actor nothing tenant-scoped can be found.
        org = actor.organization_id if actor is not None else -1

        self.template_by_id = self._one(lambda db, ids: reads.templates_by_ids(db, org, ids), Template.from_row)
        self.stage_by_id = self._one(lambda db, ids: reads.stages_by_ids(db, org, ids), Stage.from_row)
        self.stages_by_template = self._many(reads.stages_by_template_ids, Stage.from_row)
        self.participant_by_id = self._one(lambda db, ids: reads.participants_by_ids(db, org, ids), Participant.from_row)
        self.application_by_id = self._one(lambda db, ids: reads.applications_by_ids(db, org, ids), Application.from_row)
        self.session_by_id = self._one(lambda db, ids: reads.sessions_by_ids(db, org, ids), Session.from_row)
        self.sessions_by_application = self._many(reads.sessions_by_application_ids, Session.from_row)
        self.signals_by_session = self._many(reads.signals_by_session_ids, AuthenticitySignal.from_row)
        self.scorecard_by_session = self._one(reads.scorecards_by_session_ids, Scorecard.from_row)
        self.event_by_id = self._one(lambda db, ids: reads.events_by_ids(db, org, ids), Event.from_row)
        self.events_by_session = self._many(reads.events_by_session_ids, Event.from_row)
        self.webhook_endpoint_by_id = self._one(
            lambda db, ids: webhook_reads.endpoints_by_ids(db, org, ids), WebhookEndpoint.from_row
        )
        self.webhook_delivery_by_id = self._one(
            lambda db, ids: webhook_reads.deliveries_by_ids(db, org, ids), WebhookDelivery.from_row
        )
        self.session_counts_by_template: DataLoader[int, dict[SessionStatus, int]] = DataLoader(
            self._batch(reads.session_counts_by_template_ids, lambda counts: counts)
        )
        self.transcript: DataLoader[tuple[int, int, int], list[TranscriptSegment]] = DataLoader(self._transcripts)

    def _batch(
        self, query: Callable[[AsyncSession, Sequence[Any]], Awaitable[Sequence[Any]]], build: Callable[[Any], Any]
    ) -> Callable[[list[Any]], Awaitable[list[Any]]]:
        async def load(keys: list[Any]) -> list[Any]:
            async with self._database.read() as db:
                results = await query(db, keys)
            return [build(result) for result in results]

        return load

    def _one(self, query: Callable[..., Awaitable[Sequence[Any]]], build: Callable[[Any], V]) -> DataLoader[int, V | None]:
        return DataLoader(self._batch(query, lambda row: build(row) if row is not None else None))

    def _many(self, query: Callable[..., Awaitable[Sequence[Any]]], build: Callable[[Any], V]) -> DataLoader[int, list[V]]:
        return DataLoader(self._batch(query, lambda rows: [build(row) for row in rows]))

    async def _transcripts(self, keys: list[tuple[int, int, int]]) -> list[list[TranscriptSegment]]:
        # Usually every key asks for the same window (whole transcripts); one query per window.
        windows: dict[tuple[int, int], list[int]] = defaultdict(list)
        for session_id, after_seq, limit in keys:
            windows[(after_seq, limit)].append(session_id)
        found: dict[tuple[int, int, int], list[TranscriptSegment]] = {}
        async with self._database.read() as db:
            for (after_seq, limit), session_ids in windows.items():
                grouped = await reads.transcripts_by_session_ids(db, session_ids, after_seq=after_seq, limit=limit)
                for session_id, rows in zip(session_ids, grouped, strict=True):
                    found[(session_id, after_seq, limit)] = [TranscriptSegment.from_row(row) for row in rows]
        return [found[key] for key in keys]
