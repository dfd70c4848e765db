"""Bad input gets a clear error and writes nothing."""

import logging
from typing import Any

import pytest
from graphql import GraphQLError

from schema.errors import _shape
from tests.conftest import Org
from tests.support import flows
from tests.support.server import Api

COUNTS = "{ templates { totalCount } sessions { totalCount } events { totalCount } applications { totalCount } }"


async def _counts(api: Api, org: Org) -> dict[str, Any]:
    return await api.ok(COUNTS, token=org.admin)


async def test_refused_mutations_write_nothing(sqlite_api: Api, sqlite_org: Org) -> None:
    api, org = sqlite_api, sqlite_org
    template, application, session = await flows.application_with_session(api, org.admin)
    await flows.mutate(api, flows.START, {"id": session["id"]}, org.admin)
    before = await _counts(api, org)
    long_text = "x" * 10_001
    cases: list[tuple[str, dict[str, Any], str, list[str]]] = [
        (flows.CREATE_TEMPLATE, {"input": {"name": " ", "stages": [{"name": "s", "passThreshold": 50}]}}, "VALIDATION", ["input", "name"]),
        (flows.CREATE_TEMPLATE, {"input": {"name": "T", "stages": []}}, "VALIDATION", ["input", "stages"]),
        (flows.CREATE_TEMPLATE, {"input": {"name": "T", "stages": [{"name": "s", "passThreshold": 101}]}}, "VALIDATION", ["input", "stages", "0", "passThreshold"]),
        (flows.CREATE_TEMPLATE, {"input": {"name": "T", "slug": "Not A Slug!", "stages": [{"name": "s", "passThreshold": 1}]}}, "VALIDATION", ["input", "slug"]),
        (flows.ADD_PARTICIPANT, {"input": {"templateId": template["id"], "name": "A", "email": "not-an-email"}}, "VALIDATION", ["input", "email"]),
        (flows.ADD_PARTICIPANT, {"input": {"templateId": "bm9wZQ", "name": "A", "email": "a@b.co"}}, "VALIDATION", ["input", "templateId"]),
        (flows.ADD_PARTICIPANT, {"input": {"templateId": session["id"], "name": "A", "email": "a@b.co"}}, "VALIDATION", ["input", "templateId"]),
        (flows.SCHEDULE, {"input": {"applicationId": "VGVtcGxhdGU6OTk5OTk"}}, "VALIDATION", ["input", "applicationId"]),
        (flows.SCHEDULE, {"input": {"applicationId": "QXBwbGljYXRpb246OTk5OTk"}}, "NOT_FOUND", ["input", "applicationId"]),
        (flows.APPEND, {"id": session["id"], "segments": [{"speaker": "AI", "text": long_text}]}, "VALIDATION", ["segments", "0", "text"]),
        (flows.APPEND, {"id": session["id"], "segments": [{"speaker": "AI", "text": "   "}]}, "VALIDATION", ["segments", "0", "text"]),
        (flows.APPEND, {"id": session["id"], "segments": []}, "VALIDATION", ["segments"]),
        (flows.APPEND, {"id": session["id"], "segments": [{"speaker": "AI", "text": "a"}] * 201}, "VALIDATION", ["segments"]),
        (flows.APPEND, {"id": session["id"], "segments": [{"speaker": "AI", "text": "a", "startMs": 5, "endMs": 1}]}, "VALIDATION", ["segments", "0", "endMs"]),
        (flows.SIGNAL, {"id": session["id"], "input": {"kind": "", "severity": "LOW"}}, "VALIDATION", ["input", "kind"]),
        (flows.COMPLETE, {"id": session["id"], "url": "ftp://nope"}, "VALIDATION", ["recordingUrl"]),
        (flows.FAIL, {"id": session["id"], "reason": ""}, "VALIDATION", ["reason"]),
        (flows.SCORE, {"id": session["id"], "input": {"criteria": [{"name": "a", "score": 101}]}}, "VALIDATION", ["input", "criteria", "0", "score"]),
        (flows.SCORE, {"id": session["id"], "input": {"criteria": [{"name": "a", "score": -1}]}}, "VALIDATION", ["input", "criteria", "0", "score"]),
        (flows.SCORE, {"id": session["id"], "input": {"criteria": []}}, "VALIDATION", ["input", "criteria"]),
    ]
    for document, variables, code, field in cases:
        errors = await flows.refused(api, document, variables, org.admin)
        assert (errors[0]["code"], errors[0]["field"]) == (code, field), (variables, errors)
        assert errors[0]["message"]
    assert await _counts(api, org) == before
    transcript = await api.ok("query($id: ID!) { session(id: $id) { status transcript { seq } } }", {"id": session["id"]}, token=org.admin)
    assert transcript["session"] == {"status": "IN_PROGRESS", "transcript": []}


async def test_unknown_slug_and_bad_paging_arguments(sqlite_api: Api, sqlite_org: Org) -> None:
    api, org = sqlite_api, sqlite_org
    result = await api.ok(
        'mutation { apply(input: {templateSlug: "no-such-template", name: "A", email: "a@example.com"}) { userErrors { code field } } }'
    )
    assert result["apply"]["userErrors"] == [{"code": "NOT_FOUND", "field": ["input", "templateSlug"]}]
    for query, code in (
        ("{ templates(first: 101) { totalCount } }", "VALIDATION"),
        ("{ templates(first: -1) { totalCount } }", "VALIDATION"),
        ('{ templates(after: "%%%") { totalCount } }', "VALIDATION"),
        ('{ sessions(templateId: "garbage") { totalCount } }', "VALIDATION"),
    ):
        body = await api.gql(query, token=org.admin)
        assert [e["extensions"]["code"] for e in body["errors"]] == [code], body
    # Malformed IDs in lookups are simply not found.
    assert (await api.ok('{ session(id: "garbage") { id } node(id: "!!") { id } }', token=org.admin)) == {"session": None, "node": None}


async def test_pagination_walks_every_item_once(sqlite_api: Api, sqlite_org: Org) -> None:
    api, org = sqlite_api, sqlite_org
    template = await flows.create_template(api, org.admin)
    for i in range(7):
        await flows.add_participant(api, org.admin, template["id"], f"p{i}@example.com")
    seen: list[str] = []
    after = None
    while True:
        data = await api.ok(
            "query($id: ID!, $after: String) { template(id: $id) { applications(first: 3, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { participant { email } } } } } }",
            {"id": template["id"], "after": after},
            token=org.admin,
        )
        page = data["template"]["applications"]
        assert page["totalCount"] == 7
        seen += [edge["node"]["participant"]["email"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"p{i}@example.com" for i in reversed(range(7))]  # newest first


def test_unexpected_errors_are_masked_with_a_request_id(caplog: pytest.LogCaptureFixture) -> None:
    error = GraphQLError("boom", original_error=RuntimeError("secret detail"))
    with caplog.at_level(logging.ERROR, logger="interview_api.errors"):
        shaped = _shape(error, "req123")
    assert shaped.message == "Internal server error (request id req123)"
    assert shaped.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "req123"}
    assert "secret detail" not in shaped.message
    assert "req123" in caplog.text and "secret detail" in caplog.text
