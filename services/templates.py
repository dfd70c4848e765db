"""Creating interview templates with their ordered stages."""

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from models import Template
from models.templates import Stage
from services import validation
from services.auth import Actor
from services.errors import DomainError, ErrorCode, invalid
from services.uow import UnitOfWork


@dataclass(frozen=True)
class StageInput:
    name: str
    pass_threshold: float


async def create_template(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: str,
    slug: str | None,
    stages: list[StageInput],
    public_apply: bool = False,
    require_approval: bool = False,
) -> Template:
    name = validation.text(name, ["input", "name"], max_length=validation.NAME_MAX)
    if not stages:
        raise invalid("a template needs at least one stage", ["input", "stages"])
    if len(stages) > validation.STAGES_MAX:
        raise invalid(f"at most {validation.STAGES_MAX} stages", ["input", "stages"])
    cleaned = []
    for i, stage in enumerate(stages):
        field = ["input", "stages", str(i)]
        stage_name = validation.text(stage.name, [*field, "name"], max_length=validation.NAME_MAX)
        if not 0 <= stage.pass_threshold <= 100:
            raise invalid("passThreshold is from 0 to 100", [*field, "passThreshold"])
        cleaned.append((stage_name, float(stage.pass_threshold)))

    if slug is not None:
        final_slug = validation.slug(slug, ["input", "slug"])
        if await uow.db.scalar(select(Template.id).where(Template.slug == final_slug)):
            raise DomainError.one(ErrorCode.CONFLICT, f"the slug {final_slug!r} is taken", ["input", "slug"])
    else:
        # Slugs are global (public apply finds a template by slug), so add a random tail.
        final_slug = f"{validation.slugify(name)}-{secrets.token_hex(4)}"

    template = Template(
        organization_id=actor.organization_id,
        name=name,
        slug=final_slug,
        public_apply=public_apply,
        require_approval=require_approval,
    )
    uow.db.add(template)
    await uow.db.flush()
    assert template.id is not None
    uow.db.add_all(
        Stage(template_id=template.id, position=i + 1, name=stage_name, pass_threshold=threshold)
        for i, (stage_name, threshold) in enumerate(cleaned)
    )
    await uow.db.flush()
    return template
