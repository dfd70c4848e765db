"""Input limits and checks shared by the operations. Limits are documented in the README."""

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from services.errors import invalid

NAME_MAX = 200
EMAIL_MAX = 320
REASON_MAX = 2000
SLUG_MAX = 80
URL_MAX = 2048
SEGMENT_TEXT_MAX = 10_000
SEGMENTS_PER_CALL_MAX = 200
STAGES_MAX = 20
CRITERIA_MAX = 50
IDEMPOTENCY_KEY_MAX = 200

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def text(value: str, field: Sequence[str], *, max_length: int, what: str | None = None) -> str:
    """Trimmed, non-empty and at most `max_length` characters."""
    cleaned = value.strip()
    label = what or field[-1]
    if not cleaned:
        raise invalid(f"{label} must not be empty", field)
    if len(cleaned) > max_length:
        raise invalid(f"{label} must be at most {max_length} characters", field)
    return cleaned


def optional_text(value: str | None, field: Sequence[str], *, max_length: int) -> str | None:
    if value is None or not value.strip():
        return None
    return text(value, field, max_length=max_length)


def email(value: str, field: Sequence[str]) -> str:
    cleaned = text(value, field, max_length=EMAIL_MAX).lower()
    if not _EMAIL.match(cleaned):
        raise invalid(f"not a valid e-mail address: {value!r}", field)
    return cleaned


def slug(value: str, field: Sequence[str]) -> str:
    cleaned = text(value, field, max_length=SLUG_MAX).lower()
    if not _SLUG.match(cleaned):
        raise invalid("a slug has lower-case letters, digits and single hyphens", field)
    return cleaned


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[: SLUG_MAX - 9] or "template"


def http_url(value: str, field: Sequence[str], *, require_https: bool = False) -> str:
    cleaned = text(value, field, max_length=URL_MAX)
    parts = urlsplit(cleaned)
    schemes = ("https",) if require_https else ("http", "https")
    if parts.scheme not in schemes or not parts.hostname:
        raise invalid(f"not a valid {' or '.join(schemes)} URL: {value!r}", field)
    return cleaned


def score(value: float, field: Sequence[str]) -> float:
    if not 0 <= value <= 100:
        raise invalid("scores are from 0 to 100", field)
    return float(value)
