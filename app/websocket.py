"""graphql-transport-ws with shared execution of shareable subscriptions (app/shared_streams.py)."""

from contextlib import aclosing
from typing import Any

import orjson
from starlette.websockets import WebSocketDisconnect
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation

from app.shared_streams import MemberOverflow, SharedStreams, shareable_field
from schema.context import Context


class SharedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Runs a shareable subscription through its group; anything else as Strawberry does."""

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        context = self.context
        shared: SharedStreams = self.view.shared_streams  # type: ignore[attr-defined]
        field_name = shareable_field(operation.query, operation.operation_name)
        if field_name is None or context.actor is None:
            return await super().run_operation(operation)
        actor = context.actor
        variables = orjson.dumps(operation.variables or {}, option=orjson.OPT_SORT_KEYS)
        key = (actor.organization_id, actor.role, operation.query, operation.operation_name, variables)

        def source() -> Any:
            # The group's own context: the same access, tied to no connection.
            group_context = Context(runtime=context.runtime, max_page_size=context.max_page_size, actor=actor)
            return self._stream(operation, group_context)

        async with shared.join(key, field_name, source) as member:
            if member is None:
                return await super().run_operation(operation)
            prefix = '{"id":' + orjson.dumps(operation.id).decode() + ',"type":"next","payload":'
            socket = self.websocket.ws  # type: ignore[attr-defined]
            try:
                async for frame in member.frames():
                    if frame.kind == "error":
                        await operation.send_operation_message(
                            {"id": operation.id, "type": "error", "payload": orjson.loads(frame.payload)}
                        )
                        return None
                    await socket.send_text(prefix + frame.payload + "}")
            except MemberOverflow:
                error = {
                    "message": "this subscriber fell too far behind; subscribe again with afterSeq = the last seq you saw",
                    "extensions": {"code": "RESUME_REQUIRED"},
                }
                await socket.send_text(prefix + orjson.dumps({"data": None, "errors": [error]}).decode() + "}")
            except WebSocketDisconnect:
                return None
        await operation.send_operation_message({"id": operation.id, "type": "complete"})
        return None

    async def _stream(self, operation: Operation[Context, None], context: Context) -> Any:
        result_source = await self.schema.stream(
            operation.query,
            variable_values=operation.variables,
            context_value=context,
            operation_name=operation.operation_name,
        )
        async with aclosing(result_source):  # type: ignore[type-var]
            async for result in result_source:  # type: ignore[union-attr]
                yield result
