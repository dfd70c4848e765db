"""Templates and their stages."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from schema.context import Info
from schema.enums import HrStatus, RollupStatus, SessionStatus
from schema.types.common import Connection, Node
from services.ids import to_global_id

if TYPE_CHECKING:
    from schema.types.applications import Application

_apps = strawberry.lazy("schema.types.applications")


@strawberry.type
class StatusCount:
    status: SessionStatus
    count: int


@strawberry.type
class Stage(Node):
    position: int
    name: str
    pass_threshold: float
    pk: strawberry.Private[int]
    template_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> "Stage":
        return cls(
            id=strawberry.ID(to_global_id("Stage", row.id)),
            position=row.position,
            name=row.name,
            pass_threshold=row.pass_threshold,
            pk=row.id,
            template_id=row.template_id,
        )

    @strawberry.field
    def template(self, info: Info) -> "Template":
        return info.context.loaders.template_by_id.load(self.template_id)  # type: ignore[return-value]


@strawberry.type
class Template(Node):
    name: str
    slug: str
    public_apply: bool
    require_approval: bool
    created_at: datetime
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> "Template":
        return cls(
            id=strawberry.ID(to_global_id("Template", row.id)),
            name=row.name,
            slug=row.slug,
            public_apply=row.public_apply,
            require_approval=row.require_approval,
            created_at=row.created_at,
            pk=row.id,
        )

    @strawberry.field
    def stages(self, info: Info) -> list[Stage]:
        return info.context.loaders.stages_by_template.load(self.pk)  # type: ignore[return-value]

    @strawberry.field
    async def applications(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        hr_status: HrStatus | None = None,
        rollup_status: RollupStatus | None = None,
    ) -> Connection[Annotated["Application", _apps]]:
        from resolvers.reads import application_connection

        return await application_connection(
            info, first=first, after=after, template_id=self.pk, hr_status=hr_status, rollup_status=rollup_status
        )

    @strawberry.field
    async def session_counts(self, info: Info) -> list[StatusCount]:
        counts = await info.context.loaders.session_counts_by_template.load(self.pk)
        return [StatusCount(status=status, count=counts.get(status, 0)) for status in SessionStatus]
