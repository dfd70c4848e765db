"""Signing agrees with the reference implementation of Standard Webhooks."""

import base64
from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from models import EventType
from services.webhooks.signing import event_body, new_secret, secrets_in_use, sign, signed_headers


def test_a_secret_is_whsec_and_32_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_secret() != secret


def test_signatures_match_the_reference_signer_and_verify() -> None:
    secret = new_secret()
    now = datetime.now(timezone.utc)
    body = event_body(EventType.SESSION_COMPLETED, now, {"sequence": 3, "session": {"id": "x"}})
    timestamp = int(now.timestamp())
    assert sign(secret, "msg_1", timestamp, body) == Webhook(secret).sign("msg_1", now, body)
    headers = signed_headers([secret], "msg_1", timestamp, body)
    assert Webhook(secret).verify(body, headers) == {
        "type": "session.completed",
        "timestamp": now.isoformat().replace("+00:00", "Z"),
        "data": {"sequence": 3, "session": {"id": "x"}},
    }
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)


def test_during_a_rotation_both_secrets_sign_for_24_hours() -> None:
    old, new = new_secret(), new_secret()
    now = datetime.now(timezone.utc)
    expires = now + timedelta(hours=24)
    assert secrets_in_use(new, old, expires, now) == [new, old]
    assert secrets_in_use(new, old, expires, now + timedelta(hours=24, seconds=1)) == [new]
    body = b'{"type":"session.created"}'
    headers = signed_headers(secrets_in_use(new, old, expires, now), "msg_2", int(now.timestamp()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)
