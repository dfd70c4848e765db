"""How failures look to clients.

- A refused business rule in a mutation: `userErrors` in the payload (code, field, message).
- Bad arguments of a query, or a refused rule in a subscription: a GraphQL error whose
  extensions.code is the ErrorCode.
- Missing or insufficient credentials: extensions.code UNAUTHENTICATED or FORBIDDEN.
- Anything unexpected: masked as INTERNAL_SERVER_ERROR with a request id, logged in full.
"""

import logging
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from schema.enums import ErrorCode
from services.errors import AccessError, DomainError, Problem

logger = logging.getLogger("interview_api.errors")


@strawberry.type
class UserError:
    code: ErrorCode
    message: str
    field: list[str] | None = None

    @classmethod
    def from_problem(cls, problem: Problem) -> "UserError":
        return cls(code=problem.code, message=problem.message, field=list(problem.field) if problem.field else None)


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError.from_problem(p) for p in error.problems]


def to_graphql_error(error: DomainError | AccessError) -> GraphQLError:
    """A GraphQL error carrying the code in extensions, for errors outside payloads."""
    if isinstance(error, AccessError):
        return GraphQLError(str(error), extensions={"code": error.code})
    first = error.problems[0]
    extensions: dict[str, object] = {"code": first.code.value}
    if first.field:
        extensions["field"] = list(first.field)
    return GraphQLError(str(error), extensions=extensions)


def _shape(error: GraphQLError, request_id: str) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return error  # syntax, validation, or already shaped
    if isinstance(original, (DomainError, AccessError)):
        shaped = to_graphql_error(original)
        return GraphQLError(
            shaped.message, nodes=error.nodes, path=error.path, original_error=original, extensions=shaped.extensions
        )
    logger.error("unexpected error (request %s) at %s", request_id, error.path, exc_info=original)
    return GraphQLError(
        f"Internal server error (request id {request_id})",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    )


class ErrorPolicy(SchemaExtension):
    """Gives every error its extensions.code and masks unexpected ones (see the module doc)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            context = self.execution_context.context
            request_id = getattr(context, "request_id", "-")
            result.errors = [_shape(error, request_id) for error in result.errors]
