"""Idempotency keys: the first response again, CONFLICT for other arguments."""

import asyncio

from tests.conftest import Org
from tests.support import flows
from tests.support.server import Api


async def test_a_repeat_returns_the_first_response(api: Api, org: Org) -> None:
    template, application, session = await flows.application_with_session(api, org.admin)
    await flows.mutate(api, flows.START, {"id": session["id"]}, org.admin)
    variables = {"id": session["id"], "segments": [{"speaker": "AI", "text": "Hello"}], "key": "seg-1"}
    first = await flows.mutate(api, flows.APPEND, variables, org.admin)
    again = await flows.mutate(api, flows.APPEND, variables, org.admin)
    assert first == again == {"segments": [{"seq": 1, "speaker": "AI", "text": "Hello", "startMs": None, "endMs": None}], "userErrors": []}
    # Other arguments under the same key: CONFLICT, nothing written.
    errors = await flows.refused(api, flows.APPEND, {**variables, "segments": [{"speaker": "AI", "text": "Bye"}]}, org.admin)
    assert errors[0]["code"] == "CONFLICT" and errors[0]["field"] == ["idempotencyKey"]
    data = await api.ok("query($id: ID!) { session(id: $id) { transcript { seq text } } }", {"id": session["id"]}, token=org.admin)
    assert data["session"]["transcript"] == [{"seq": 1, "text": "Hello"}]


async def test_keys_are_per_operation_and_organization(api: Api, org: Org) -> None:
    template = await flows.create_template(api, org.admin)
    variables = {"input": {"templateId": template["id"], "name": "Ada", "email": "ada@example.com"}, "key": "k"}
    first = await flows.mutate(api, flows.ADD_PARTICIPANT, variables, org.admin)
    second = await flows.mutate(api, flows.ADD_PARTICIPANT, variables, org.admin)
    assert first["application"]["id"] == second["application"]["id"]
    # The same key on another operation is independent.
    created = await flows.mutate(
        api, flows.CREATE_TEMPLATE, {"input": {"name": "Other", "stages": [{"name": "s", "passThreshold": 1}]}, "key": "k"}, org.admin
    )
    assert created["template"]["name"] == "Other"
    count = await api.ok("{ applications { totalCount } templates { totalCount } }", token=org.admin)
    assert count == {"applications": {"totalCount": 1}, "templates": {"totalCount": 2}}


async def test_concurrent_repeats_act_once(api: Api, org: Org) -> None:
    _, application, first = await flows.application_with_session(api, org.admin)
    await flows.mutate(api, flows.CANCEL, {"id": first["id"]}, org.admin)
    variables = {"input": {"applicationId": application["id"]}, "key": "retry-1"}
    results = await asyncio.gather(*(api.ok(flows.SCHEDULE, variables, token=org.admin) for _ in range(8)))
    ids = {r["scheduleSession"]["session"]["id"] for r in results}
    assert len(ids) == 1
    assert all(r["scheduleSession"]["userErrors"] == [] for r in results)
    data = await api.ok("query($id: ID!) { application(id: $id) { sessions { totalCount } } }", {"id": application["id"]}, token=org.admin)
    assert data["application"]["sessions"]["totalCount"] == 2
