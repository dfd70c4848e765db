"""The typed request context."""

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from services.auth import Actor, Permission
from services.errors import unauthenticated
from services.uow import Runtime

if TYPE_CHECKING:
    from resolvers.loaders import Loaders


@dataclass
class Context:
    runtime: Runtime
    max_page_size: int
    request: Request | WebSocket | None = None
    response: Response | WebSocket | None = None
    actor: Actor | None = None
    # Set by Strawberry from connection_init on WebSockets.
    connection_params: dict[str, Any] | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    _loaders: "Loaders | None" = None

    @property
    def loaders(self) -> "Loaders":
        if self._loaders is None:
            from resolvers.loaders import Loaders

            self._loaders = Loaders(self.runtime.database, self.actor)
        return self._loaders

    def fresh_loaders(self) -> None:
        """Forget cached rows; subscriptions call this before each message (the context lives
        as long as the WebSocket, and loaders must not serve what changed since)."""
        self._loaders = None

    def require(self, permission: Permission) -> Actor:
        if self.actor is None:
            raise unauthenticated()
        self.actor.require(permission)
        return self.actor

    def can(self, permission: Permission) -> bool:
        return self.actor is not None and self.actor.can(permission)


Info = strawberry.Info[Context, None]
