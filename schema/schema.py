"""The Schema object: the root types merged from the resolver modules, and its extensions."""

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from resolvers.accounts import AccountMutations, AccountQueries
from resolvers.applications import ApplicationMutations, ApplicationQueries
from resolvers.events import EventQueries
from resolvers.nodes import NodeQueries
from resolvers.scoring import ScoringMutations
from resolvers.sessions import SessionMutations, SessionQueries
from resolvers.subscriptions import Subscriptions
from resolvers.templates import TemplateMutations, TemplateQueries
from resolvers.transcript import TranscriptMutations
from resolvers.webhooks import WebhookMutations, WebhookQueries
from schema.errors import ErrorPolicy
from schema.types.accounts import ApiKey, Organization
from schema.types.applications import Application, Participant
from schema.types.events import Event
from schema.types.sessions import Session
from schema.types.templates import Stage, Template
from schema.types.webhooks import WebhookDelivery, WebhookEndpoint

Query = merge_types(
    "Query",
    (NodeQueries, AccountQueries, TemplateQueries, ApplicationQueries, SessionQueries, EventQueries, WebhookQueries),
)
Mutation = merge_types(
    "Mutation",
    (
        TemplateMutations,
        ApplicationMutations,
        SessionMutations,
        TranscriptMutations,
        ScoringMutations,
        WebhookMutations,
        AccountMutations,
    ),
)


class InterviewSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Errors are logged by ErrorPolicy, which logs only the unexpected ones (with a request id)."""


def create_schema() -> strawberry.Schema:
    types: list[Any] = [
        Organization, ApiKey, Template, Stage, Participant, Application, Session, Event, WebhookEndpoint, WebhookDelivery
    ]
    return InterviewSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscriptions,
        types=types,
        # Clients send the same few documents over and over: parse and validate each once
        # (validating appendTranscript cost more than running it).
        extensions=[ErrorPolicy, ParserCache, ValidationCache],
    )


schema = create_schema()
