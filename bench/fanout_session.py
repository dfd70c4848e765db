"""A fresh IN_PROGRESS session for each fan-out scenario, made through the API as a client would.

Fresh, so that subscribers start on an empty transcript: the group replays nothing and
every message measured is a live one.
"""

import uuid
from typing import Any

import httpx

CREATE_TEMPLATE = """mutation($input: CreateTemplateInput!) {
  createTemplate(input: $input) { template { id } userErrors { code message } }
}"""
ADD_PARTICIPANT = """mutation($input: AddParticipantInput!) {
  addParticipant(input: $input) { application { id } userErrors { code message } }
}"""
SCHEDULE = """mutation($input: ScheduleSessionInput!) {
  scheduleSession(input: $input) { session { id } userErrors { code message } }
}"""
START = """mutation($id: ID!) { startSession(id: $id) { session { id status } userErrors { code message } } }"""


async def _mutate(http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"authorization": f"Bearer {token}"}
    )
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"setup failed: {response.status_code} {response.text[:500]}")
    (payload,) = body["data"].values()
    if payload["userErrors"]:
        raise RuntimeError(f"setup refused: {payload['userErrors']}")
    return payload  # type: ignore[no-any-return]


async def started_session(http: httpx.AsyncClient, token: str) -> str:
    """The global id of a new IN_PROGRESS session with an empty transcript."""
    stages = [{"name": "Screen", "passThreshold": 60}]
    template = await _mutate(http, token, CREATE_TEMPLATE, {"input": {"name": "Fan-out bench", "stages": stages}})
    email = f"fanout-{uuid.uuid4().hex[:12]}@example.com"
    application = await _mutate(
        http, token, ADD_PARTICIPANT, {"input": {"templateId": template["template"]["id"], "name": "Bench", "email": email}}
    )
    session = await _mutate(http, token, SCHEDULE, {"input": {"applicationId": application["application"]["id"]}})
    session_id: str = session["session"]["id"]
    await _mutate(http, token, START, {"id": session_id})
    return session_id
