"""Organizations, the caller (viewer) and API keys."""

from datetime import datetime
from typing import Any

import strawberry

from schema.enums import Role
from schema.types.common import Node
from services.ids import to_global_id


@strawberry.type
class Organization(Node):
    name: str

    @classmethod
    def from_row(cls, row: Any) -> "Organization":
        return cls(id=strawberry.ID(to_global_id("Organization", row.id)), name=row.name)


@strawberry.type
class Viewer:
    organization: Organization
    role: Role


@strawberry.type
class ApiKey(Node):
    name: str
    role: Role
    prefix: str = strawberry.field(
        description="The first characters of the token, for recognising it; the token itself is shown once."
    )
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> "ApiKey":
        return cls(
            id=strawberry.ID(to_global_id("ApiKey", row.id)),
            name=row.name,
            role=row.role,
            prefix=row.prefix,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )
