"""Opaque global IDs ("Session:42", base64url) shared by the API, events and webhooks."""

import base64
import binascii
from collections.abc import Sequence

from services.errors import DomainError, ErrorCode

NODE_TYPES = frozenset(
    {
        "Organization",
        "Template",
        "Stage",
        "Participant",
        "Application",
        "Session",
        "Event",
        "WebhookEndpoint",
        "WebhookDelivery",
        "ApiKey",
    }
)


def to_global_id(type_name: str, pk: int) -> str:
    raw = f"{type_name}:{pk}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parse_global_id(value: str) -> tuple[str, int] | None:
    """(type name, primary key), or None when `value` is not one of our IDs."""
    if not value or len(value) > 100:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, pk = raw.partition(":")
    if not sep or type_name not in NODE_TYPES or not pk.isdigit() or len(pk) > 18:
        return None
    return type_name, int(pk)


def decode_id(value: str, type_name: str, field: Sequence[str]) -> int:
    """The primary key in a global ID of `type_name`; VALIDATION when malformed or of another type."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        raise DomainError.one(ErrorCode.VALIDATION, f"not a valid {type_name} ID: {value!r}", field)
    return parsed[1]
