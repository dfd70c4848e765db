"""API keys, roles and what each role may do."""

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ApiKey, Organization, Role
from models.base import utcnow
from services.errors import forbidden

TOKEN_PREFIX = "iak_"
# What `ApiKey.prefix` keeps of a token: enough to find the row and to recognise the key.
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8


class Permission(enum.Enum):
    READ_SESSIONS = "read sessions"
    READ_ALL = "read templates, applications and participants"
    MANAGE_TEMPLATES = "manage templates"
    MANAGE_APPLICATIONS = "manage applications"
    SCHEDULE_SESSIONS = "schedule and cancel sessions"
    SEE_JOIN_URLS = "see join URLs"
    DRIVE_SESSIONS = "start, stream, complete and fail sessions"
    SCORE_SESSIONS = "submit scorecards"
    MANAGE_WEBHOOKS = "manage webhooks"
    MANAGE_API_KEYS = "manage API keys"


_RECRUITING = {
    Permission.READ_SESSIONS,
    Permission.READ_ALL,
    Permission.MANAGE_TEMPLATES,
    Permission.MANAGE_APPLICATIONS,
    Permission.SCHEDULE_SESSIONS,
    Permission.SEE_JOIN_URLS,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.RECRUITER: frozenset(_RECRUITING),
    Role.AGENT: frozenset({Permission.READ_SESSIONS, Permission.DRIVE_SESSIONS}),
    Role.SCORER: frozenset({Permission.READ_SESSIONS, Permission.SCORE_SESSIONS}),
    Role.VIEWER: frozenset({Permission.READ_SESSIONS, Permission.READ_ALL}),
}


@dataclass(frozen=True)
class Actor:
    """Who is calling: an API key of one organization with one role."""

    organization_id: int
    role: Role
    api_key_id: int | None = None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise forbidden(f"the {self.role.value} role may not {permission.value}")

    @property
    def scope(self) -> str:
        return f"org:{self.organization_id}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


async def authenticate(db: AsyncSession, token: str) -> Actor | None:
    """The actor of a bearer token, or None for an unknown or revoked one."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = hash_token(token)
    rows = await db.execute(
        select(ApiKey.id, ApiKey.organization_id, ApiKey.role, ApiKey.token_hash).where(
            ApiKey.prefix == token[:PREFIX_LENGTH], ApiKey.revoked_at.is_(None)  # type: ignore[union-attr]
        )
    )
    for key_id, organization_id, role, stored in rows:
        if hmac.compare_digest(stored, digest):
            return Actor(organization_id=organization_id, role=role, api_key_id=key_id)
    return None


def _new_key(organization_id: int, name: str, role: Role, token: str) -> ApiKey:
    return ApiKey(
        organization_id=organization_id,
        name=name,
        role=role,
        prefix=token[:PREFIX_LENGTH],
        token_hash=hash_token(token),
    )


async def create_api_key(db: AsyncSession, organization_id: int, name: str, role: Role) -> tuple[ApiKey, str]:
    """A new key and its token; the token is shown once and only its hash is kept."""
    token = new_token()
    key = _new_key(organization_id, name, role, token)
    db.add(key)
    await db.flush()
    return key, token


async def revoke_api_key(db: AsyncSession, key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.add(key)
        await db.flush()


async def create_organization(db: AsyncSession, name: str) -> tuple[Organization, str]:
    """A new organization with one ADMIN key; returns the key's token."""
    organization = Organization(name=name)
    db.add(organization)
    await db.flush()
    assert organization.id is not None
    _, token = await create_api_key(db, organization.id, "admin", Role.ADMIN)
    return organization, token


async def ensure_bootstrap_admin(db: AsyncSession, token: str) -> None:
    """Make sure organization "default" exists with an ADMIN key of this exact token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) < len(TOKEN_PREFIX) + 24:
        raise ValueError(f"BOOTSTRAP_ADMIN_TOKEN must start with {TOKEN_PREFIX!r} and have 24+ characters after it")
    existing = await db.scalar(select(ApiKey).where(ApiKey.token_hash == hash_token(token)))
    if existing is not None:
        return
    organization = await db.scalar(select(Organization).where(Organization.name == "default").order_by(Organization.id))
    if organization is None:
        organization = Organization(name="default")
        db.add(organization)
        await db.flush()
    assert organization.id is not None
    db.add(_new_key(organization.id, "bootstrap admin", Role.ADMIN, token))
    await db.flush()
