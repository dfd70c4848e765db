"""Signing by the Standard Webhooks specification (v1, symmetric HMAC-SHA256).

A secret is ``whsec_`` + base64 of 32 random bytes. Each request carries ``webhook-id``
(the same on every retry, so receivers can deduplicate), ``webhook-timestamp`` (Unix
seconds of this attempt) and ``webhook-signature``: space-separated ``v1,<base64>``
signatures of ``{id}.{timestamp}.{body}``, one per secret that is valid right now (two
during a rotation).
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from models.enums import EventType

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
USER_AGENT = "interview-api-webhooks/1"


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: the base64-decoded part after the prefix."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of ``{msg_id}.{timestamp}.{body}``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def event_body(event_type: EventType, occurred_at: datetime, data: dict[str, Any]) -> bytes:
    """The request body: ``{"type": "session.completed", "timestamp": ..., "data": {...}}``.

    ``data`` is exactly the Event's data, and the body is the same bytes on every attempt
    (only the timestamp header and the signatures change).
    """
    return orjson.dumps({"type": event_type.wire_name, "timestamp": _iso(occurred_at), "data": data})


def signed_headers(secrets_in_use: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one attempt, signed with every secret in use."""
    assert secrets_in_use, "a webhook needs at least one secret"
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets_in_use),
    }


def secrets_in_use(secret: str, previous_secret: str | None, previous_expires_at: datetime | None, now: datetime) -> list[str]:
    """The current secret, and during a rotation's grace period the previous one too."""
    if previous_secret and previous_expires_at is not None and previous_expires_at > now:
        return [secret, previous_secret]
    return [secret]
