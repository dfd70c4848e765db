"""The webhook mutations and queries of the contract, over the real app."""

import base64

import pytest

from models import Role
from tests.conftest import Org, create_org, make_settings
from tests.support import flows
from tests.support.server import Api, serve
from tests.webhooks.support import (
    CREATE_ENDPOINT,
    DELETE_ENDPOINT,
    ENDPOINTS,
    REDELIVER,
    ROTATE_SECRET,
    UPDATE_ENDPOINT,
)

NODE = "query($id: ID!) { node(id: $id) { id ... on WebhookEndpoint { url enabled } } }"


async def test_create_list_update_rotate_and_delete(api: Api, org: Org) -> None:
    created = await flows.mutate(
        api,
        CREATE_ENDPOINT,
        {"input": {"url": "https://hooks.example.com/a", "description": "ATS", "eventTypes": ["SESSION_SCORED"]}},
        org.admin,
    )
    endpoint = created["endpoint"]
    assert created["secret"].startswith("whsec_") and len(base64.b64decode(created["secret"][6:])) == 32
    assert endpoint["url"] == "https://hooks.example.com/a"
    assert endpoint["eventTypes"] == ["SESSION_SCORED"] and endpoint["enabled"] is True

    listed = (await api.ok(ENDPOINTS, token=org.admin))["webhookEndpoints"]
    assert [e["id"] for e in listed] == [endpoint["id"]]
    assert listed[0]["deliveries"] == {"totalCount": 0, "edges": []}
    assert (await api.ok(NODE, {"id": endpoint["id"]}, token=org.admin))["node"]["url"] == endpoint["url"]

    updated = await flows.mutate(
        api,
        UPDATE_ENDPOINT,
        {"id": endpoint["id"], "input": {"url": "https://hooks.example.com/b", "eventTypes": [], "enabled": False, "description": ""}},
        org.admin,
    )
    assert updated["secret"] is None
    assert updated["endpoint"] | {"createdAt": None} == {
        "id": endpoint["id"], "url": "https://hooks.example.com/b", "description": None,
        "eventTypes": [], "enabled": False, "createdAt": None,
    }
    enabled = await flows.mutate(api, UPDATE_ENDPOINT, {"id": endpoint["id"], "input": {"enabled": True}}, org.admin)
    assert enabled["endpoint"]["enabled"] is True and enabled["endpoint"]["url"] == "https://hooks.example.com/b"

    rotated = await flows.mutate(api, ROTATE_SECRET, {"id": endpoint["id"]}, org.admin)
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]

    deleted = await flows.mutate(api, DELETE_ENDPOINT, {"id": endpoint["id"]}, org.admin)
    assert deleted["deletedId"] == endpoint["id"]
    assert (await api.ok(ENDPOINTS, token=org.admin))["webhookEndpoints"] == []
    assert (await api.ok(NODE, {"id": endpoint["id"]}, token=org.admin))["node"] is None
    errors = await flows.refused(api, UPDATE_ENDPOINT, {"id": endpoint["id"], "input": {"enabled": True}}, org.admin)
    assert errors[0]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("role", [Role.RECRUITER, Role.AGENT, Role.SCORER, Role.VIEWER])
async def test_only_admins_manage_webhooks(sqlite_api: Api, sqlite_org: Org, role: Role) -> None:
    created = await flows.mutate(sqlite_api, CREATE_ENDPOINT, {"input": {"url": "https://h.example.com"}}, sqlite_org.admin)
    endpoint_id = created["endpoint"]["id"]
    token = sqlite_org[role]
    for document, variables in [
        (CREATE_ENDPOINT, {"input": {"url": "https://h.example.com"}}),
        (UPDATE_ENDPOINT, {"id": endpoint_id, "input": {"enabled": False}}),
        (DELETE_ENDPOINT, {"id": endpoint_id}),
        (ROTATE_SECRET, {"id": endpoint_id}),
        (REDELIVER, {"id": endpoint_id}),
        (ENDPOINTS, None),
        (NODE, {"id": endpoint_id}),
    ]:
        body = await sqlite_api.gql(document, variables, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (document, body)


async def test_other_organizations_endpoints_are_invisible(sqlite_api: Api, sqlite_org: Org) -> None:
    created = await flows.mutate(sqlite_api, CREATE_ENDPOINT, {"input": {"url": "https://h.example.com"}}, sqlite_org.admin)
    other = await create_org(sqlite_api.settings.database_url, "Other")
    assert (await sqlite_api.ok(ENDPOINTS, token=other.admin))["webhookEndpoints"] == []
    assert (await sqlite_api.ok(NODE, {"id": created["endpoint"]["id"]}, token=other.admin))["node"] is None
    errors = await flows.refused(sqlite_api, ROTATE_SECRET, {"id": created["endpoint"]["id"]}, other.admin)
    assert errors[0]["code"] == "NOT_FOUND"


async def test_private_and_plain_http_urls_are_refused_by_default(sqlite_url: str) -> None:
    async with serve(make_settings(sqlite_url, webhook_allow_private_urls=False)) as api:
        org = await create_org(sqlite_url)
        for url in ["http://93.184.216.34/hook", "https://127.0.0.1/hook", "https://localhost/hook", "https://10.0.0.1/x"]:
            errors = await flows.refused(api, CREATE_ENDPOINT, {"input": {"url": url}}, org.admin)
            assert errors[0]["code"] == "VALIDATION" and errors[0]["field"] == ["input", "url"], (url, errors)
        created = await flows.mutate(api, CREATE_ENDPOINT, {"input": {"url": "https://93.184.216.34/hook"}}, org.admin)
        errors = await flows.refused(
            api, UPDATE_ENDPOINT, {"id": created["endpoint"]["id"], "input": {"url": "https://192.168.0.10/"}}, org.admin
        )
        assert errors[0]["code"] == "VALIDATION"
        assert (await api.ok(ENDPOINTS, token=org.admin))["webhookEndpoints"][0]["url"] == "https://93.184.216.34/hook"


async def test_bad_ids_and_descriptions_are_user_errors(sqlite_api: Api, sqlite_org: Org) -> None:
    errors = await flows.refused(sqlite_api, ROTATE_SECRET, {"id": "nope"}, sqlite_org.admin)
    assert errors[0]["code"] == "VALIDATION" and errors[0]["field"] == ["id"]
    errors = await flows.refused(sqlite_api, REDELIVER, {"id": "nope"}, sqlite_org.admin)
    assert errors[0]["code"] == "VALIDATION" and errors[0]["field"] == ["deliveryId"]
    errors = await flows.refused(
        sqlite_api, CREATE_ENDPOINT, {"input": {"url": "https://h.example.com", "description": "x" * 501}}, sqlite_org.admin
    )
    assert errors[0]["field"] == ["input", "description"]
