"""Credentials, roles and organization scoping."""

import pytest

from models import Role
from tests.conftest import Org, create_org
from tests.support import flows
from tests.support.server import Api

SESSION_QUERY = "query($id: ID!) { session(id: $id) { id status joinUrl } }"


def _codes(body: dict) -> list[str]:  # type: ignore[type-arg]
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def test_missing_or_bad_tokens_are_unauthenticated(sqlite_api: Api, sqlite_org: Org) -> None:
    for token in (None, "iak_not-a-real-token", "garbage"):
        body = await sqlite_api.gql("{ viewer { role } }", token=token)
        assert _codes(body) == ["UNAUTHENTICATED"]
        body = await sqlite_api.gql("{ templates { totalCount } }", token=token)
        assert _codes(body) == ["UNAUTHENTICATED"]


async def test_revoked_keys_stop_working(sqlite_api: Api, sqlite_org: Org) -> None:
    created = await flows.mutate(
        sqlite_api,
        "mutation { createApiKey(input: {name: \"ci\", role: VIEWER}) { apiKey { id prefix role } token userErrors { code } } }",
        {},
        sqlite_org.admin,
    )
    token = created["token"]
    assert token.startswith(created["apiKey"]["prefix"])
    assert (await sqlite_api.ok("{ viewer { role } }", token=token))["viewer"]["role"] == "VIEWER"
    await flows.mutate(sqlite_api, "mutation($id: ID!) { revokeApiKey(id: $id) { deletedId userErrors { code } } }", {"id": created["apiKey"]["id"]}, sqlite_org.admin)
    # The resolved key is cached briefly per process; a fresh server shows revocation at once.
    from tests.support.server import serve

    async with serve(sqlite_api.settings) as fresh:
        assert _codes(await fresh.gql("{ viewer { role } }", token=token)) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.ADMIN, True), (Role.RECRUITER, True), (Role.AGENT, False), (Role.SCORER, False), (Role.VIEWER, False)],
)
async def test_who_may_create_templates(sqlite_api: Api, sqlite_org: Org, role: Role, allowed: bool) -> None:
    body = await sqlite_api.gql(flows.CREATE_TEMPLATE, {"input": {"name": "T", "stages": [{"name": "s", "passThreshold": 50}]}}, token=sqlite_org[role])
    if allowed:
        assert body["data"]["createTemplate"]["template"]["name"] == "T"
    else:
        assert _codes(body) == ["FORBIDDEN"]
        assert body["data"] is None


async def test_each_role_does_its_part(sqlite_api: Api, sqlite_org: Org) -> None:
    api, org = sqlite_api, sqlite_org
    _, application, session = await flows.application_with_session(api, org[Role.RECRUITER])
    sid = {"id": session["id"]}
    # Scheduling and cancelling are for recruiters, not for the interviewer or the scorer.
    for role in (Role.AGENT, Role.SCORER, Role.VIEWER):
        assert _codes(await api.gql(flows.SCHEDULE, {"input": {"applicationId": application["id"]}}, token=org[role])) == ["FORBIDDEN"]
        assert _codes(await api.gql(flows.CANCEL, sid, token=org[role])) == ["FORBIDDEN"]
    # Driving a session is for the AI interviewer.
    for role in (Role.RECRUITER, Role.SCORER, Role.VIEWER):
        assert _codes(await api.gql(flows.START, sid, token=org[role])) == ["FORBIDDEN"]
    await flows.run_interview(api, org[Role.AGENT], session["id"])
    # Scoring is for the scorer.
    score = {"id": session["id"], "input": {"criteria": [{"name": "a", "score": 70}]}}
    for role in (Role.RECRUITER, Role.AGENT, Role.VIEWER):
        assert _codes(await api.gql(flows.SCORE, score, token=org[role])) == ["FORBIDDEN"]
    await flows.mutate(api, flows.SCORE, score, org[Role.SCORER])
    # Everyone reads sessions; only those who invite see the join URL.
    for role in Role:
        data = await api.ok(SESSION_QUERY, sid, token=org[role])
        assert data["session"]["id"] == session["id"]
        assert (data["session"]["joinUrl"] is not None) == (role in (Role.ADMIN, Role.RECRUITER))
    # Agents and scorers read sessions, not the recruiting lists.
    for role in (Role.AGENT, Role.SCORER):
        assert _codes(await api.gql("{ templates { totalCount } }", token=org[role])) == ["FORBIDDEN"]
    # Webhooks and keys are for admins.
    for role in (Role.RECRUITER, Role.VIEWER):
        assert _codes(await api.gql("{ apiKeys { id } }", token=org[role])) == ["FORBIDDEN"]


async def test_another_organizations_objects_are_not_found(api: Api, org: Org) -> None:
    template, application, session = await flows.application_with_session(api, org.admin)
    other = await create_org(api.settings.database_url, "Other Inc")
    for query, variables in (
        (SESSION_QUERY, {"id": session["id"]}),
        ("query($id: ID!) { application(id: $id) { id } }", {"id": application["id"]}),
        ("query($id: ID!) { template(id: $id) { id } }", {"id": template["id"]}),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": session["id"]}),
        ("query($id: ID!) { participant(id: $id) { id } }", {"id": application["participant"]["id"]}),
    ):
        data = await api.ok(query, variables, token=other.admin)
        assert list(data.values()) == [None]
    assert (await api.ok("{ templates { totalCount } sessions { totalCount } events { totalCount } }", token=other.admin)) == {
        "templates": {"totalCount": 0}, "sessions": {"totalCount": 0}, "events": {"totalCount": 0}
    }
    errors = await flows.refused(api, flows.START, {"id": session["id"]}, other.admin)
    assert errors[0]["code"] == "NOT_FOUND"
    errors = await flows.refused(api, flows.SCHEDULE, {"input": {"applicationId": application["id"]}}, other.admin)
    assert errors[0]["code"] == "NOT_FOUND"
    # And the session did not move.
    assert (await api.ok(SESSION_QUERY, {"id": session["id"]}, token=org.admin))["session"]["status"] == "SCHEDULED"


async def test_public_apply_and_join_view(sqlite_api: Api, sqlite_org: Org) -> None:
    api, org = sqlite_api, sqlite_org
    template = await flows.create_template(api, org.admin, publicApply=True, slug="data-engineer")
    apply = """mutation($input: ApplyInput!) { apply(input: $input) { application { id } userErrors { code field message } } }"""
    result = await api.ok(apply, {"input": {"templateSlug": "data-engineer", "name": "Lin", "email": "Lin@Example.com"}})
    assert result["apply"]["userErrors"] == []
    assert result["apply"]["application"] is None  # anonymous callers do not get to read it back
    again = await api.ok(apply, {"input": {"templateSlug": "data-engineer", "name": "Lin", "email": "lin@example.com"}})
    assert again["apply"]["userErrors"][0]["code"] == "CONFLICT"

    closed = await flows.create_template(api, org.admin, slug="internal-only")
    refused = await api.ok(apply, {"input": {"templateSlug": closed["slug"], "name": "X", "email": "x@example.com"}})
    assert refused["apply"]["userErrors"][0]["code"] == "NOT_FOUND"

    data = await api.ok(
        "query($id: ID!) { template(id: $id) { applications { edges { node { id source participant { email } } } } } }",
        {"id": template["id"]},
        token=org.admin,
    )
    (edge,) = data["template"]["applications"]["edges"]
    assert edge["node"]["source"] == "PUBLIC_APPLY"
    assert edge["node"]["participant"]["email"] == "lin@example.com"

    session = await flows.schedule(api, org.admin, edge["node"]["id"])
    token = session["joinUrl"].rsplit("/", 1)[1]
    view = await api.ok("query($t: String!) { joinView(token: $t) { sessionId status templateName stageName participantName } }", {"t": token})
    assert view["joinView"] == {
        "sessionId": session["id"], "status": "SCHEDULED", "templateName": "Backend Engineer",
        "stageName": "Stage 1", "participantName": "Lin",
    }
    assert (await api.ok("query { joinView(token: \"nope\") { sessionId } }"))["joinView"] is None


async def test_viewer_and_bootstrap_admin(sqlite_url: str) -> None:
    from tests.conftest import make_settings
    from tests.support.server import serve

    token = "iak_bootstrap_token_for_the_test_suite_000"
    settings = make_settings(sqlite_url, bootstrap_admin_token=token, migrate_on_start=True)
    for _ in range(2):  # idempotent across restarts
        async with serve(settings) as api:
            data = await api.ok("{ viewer { role organization { name } } }", token=token)
            assert data["viewer"] == {"role": "ADMIN", "organization": {"name": "default"}}
