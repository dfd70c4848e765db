"""Applications: the public apply flow, recruiters adding participants, HR approval."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Application, ApplicationSource, HrStatus, Participant, RollupStatus, Template
from services import validation
from services.auth import Actor
from services.errors import DomainError, ErrorCode, not_found
from services.lookups import get_scoped
from services.rollup import refresh_rollup
from services.sessions import cancel_open_scheduled
from services.uow import UnitOfWork


async def _participant(uow: UnitOfWork, organization_id: int, name: str, email: str) -> Participant:
    """The organization's participant with this e-mail, created on first sight."""
    existing = await uow.db.scalar(
        select(Participant).where(Participant.organization_id == organization_id, Participant.email == email)
    )
    if existing is not None:
        return existing
    participant = Participant(organization_id=organization_id, name=name, email=email)
    try:
        # Added inside the savepoint: entering it flushes what is pending, outside it.
        async with uow.db.begin_nested():
            uow.db.add(participant)
            await uow.db.flush()
    except IntegrityError:
        # The same person was added concurrently and won: use theirs.
        return (
            await uow.db.scalars(
                select(Participant).where(Participant.organization_id == organization_id, Participant.email == email)
            )
        ).one()
    return participant


async def _create(
    uow: UnitOfWork, template: Template, *, name: str, email: str, source: ApplicationSource, field: list[str]
) -> Application:
    name = validation.text(name, [*field, "name"], max_length=validation.NAME_MAX)
    email = validation.email(email, [*field, "email"])
    participant = await _participant(uow, template.organization_id, name, email)
    if await uow.db.scalar(
        select(Application.id).where(Application.template_id == template.id, Application.participant_id == participant.id)
    ):
        raise DomainError.one(ErrorCode.CONFLICT, f"{email} has already applied to this template", [*field, "email"])
    assert template.id is not None and participant.id is not None
    hr_status = HrStatus.PENDING if template.require_approval else HrStatus.APPROVED
    application = Application(
        organization_id=template.organization_id,
        template_id=template.id,
        participant_id=participant.id,
        source=source,
        hr_status=hr_status,
        rollup_status=RollupStatus.NOT_SCHEDULED,
    )
    try:
        async with uow.db.begin_nested():
            uow.db.add(application)
            await uow.db.flush()
    except IntegrityError as error:  # a concurrent application of the same person won
        raise DomainError.one(ErrorCode.CONFLICT, f"{email} has already applied to this template", [*field, "email"]) from error
    await refresh_rollup(uow.db, application)
    return application


async def apply(uow: UnitOfWork, *, template_slug: str, name: str, email: str) -> Application:
    """The public flow: no credential, a template that allows it, found by slug."""
    slug = validation.text(template_slug, ["input", "templateSlug"], max_length=validation.SLUG_MAX).lower()
    template = await uow.db.scalar(select(Template).where(Template.slug == slug))
    if template is None or not template.public_apply:
        raise not_found("Template", ["input", "templateSlug"])
    return await _create(uow, template, name=name, email=email, source=ApplicationSource.PUBLIC_APPLY, field=["input"])


async def add_participant(uow: UnitOfWork, actor: Actor, *, template_id: int, name: str, email: str) -> Application:
    template = await get_scoped(uow.db, Template, template_id, actor, field=["input", "templateId"])
    return await _create(uow, template, name=name, email=email, source=ApplicationSource.MANUAL, field=["input"])


async def _decide(uow: UnitOfWork, actor: Actor, application_id: int, status: HrStatus) -> Application:
    application = await get_scoped(uow.db, Application, application_id, actor, field=["id"], lock=True)
    if application.hr_status is status:
        return application  # deciding the same twice is harmless
    if application.hr_status is HrStatus.REJECTED:
        raise DomainError.one(ErrorCode.INVALID_TRANSITION, "a rejected application stays rejected", ["id"])
    application.hr_status = status
    return application


async def approve(uow: UnitOfWork, actor: Actor, application_id: int) -> Application:
    application = await _decide(uow, actor, application_id, HrStatus.APPROVED)
    await refresh_rollup(uow.db, application)
    return application


async def reject(uow: UnitOfWork, actor: Actor, application_id: int, reason: str | None) -> Application:
    reason = validation.optional_text(reason, ["reason"], max_length=validation.REASON_MAX)
    application = await _decide(uow, actor, application_id, HrStatus.REJECTED)
    application.hr_reason = reason
    await cancel_open_scheduled(uow, application, reason or "application rejected")
    await refresh_rollup(uow.db, application)
    return application
