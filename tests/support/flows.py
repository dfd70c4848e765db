"""Driving the API like its clients do: GraphQL documents and small helpers around them."""

from typing import Any

from tests.support.server import Api

SESSION_FIELDS = """
  id status attempt joinUrl scheduledFor createdAt startedAt endedAt cancelledAt
  failureReason cancelReason recordingUrl
  stage { id position name }
  previousAttempt { id }
  causedBy { id type sequence }
"""

CREATE_TEMPLATE = """
mutation($input: CreateTemplateInput!, $key: String) {
  createTemplate(input: $input, idempotencyKey: $key) {
    template { id name slug publicApply requireApproval stages { id position name passThreshold } }
    userErrors { code field message }
  }
}"""

ADD_PARTICIPANT = """
mutation($input: AddParticipantInput!, $key: String) {
  addParticipant(input: $input, idempotencyKey: $key) {
    application { id hrStatus source participant { id name email } rollup { status stage { position } } }
    userErrors { code field message }
  }
}"""

SCHEDULE = f"""
mutation($input: ScheduleSessionInput!, $key: String) {{
  scheduleSession(input: $input, idempotencyKey: $key) {{
    session {{ {SESSION_FIELDS} }}
    userErrors {{ code field message }}
  }}
}}"""

START = f"""mutation($id: ID!) {{ startSession(id: $id) {{ session {{ {SESSION_FIELDS} }} userErrors {{ code field message }} }} }}"""
COMPLETE = f"""mutation($id: ID!, $url: String) {{ completeSession(id: $id, recordingUrl: $url) {{ session {{ {SESSION_FIELDS} }} userErrors {{ code field message }} }} }}"""
FAIL = f"""mutation($id: ID!, $reason: String!) {{ failSession(id: $id, reason: $reason) {{ session {{ {SESSION_FIELDS} }} userErrors {{ code field message }} }} }}"""
CANCEL = f"""mutation($id: ID!, $reason: String) {{ cancelSession(id: $id, reason: $reason) {{ session {{ {SESSION_FIELDS} }} userErrors {{ code field message }} }} }}"""

APPEND = """
mutation($id: ID!, $segments: [TranscriptSegmentInput!]!, $key: String) {
  appendTranscript(sessionId: $id, segments: $segments, idempotencyKey: $key) {
    segments { seq speaker text startMs endMs }
    userErrors { code field message }
  }
}"""

SIGNAL = """
mutation($id: ID!, $input: AuthenticitySignalInput!, $key: String) {
  recordAuthenticitySignal(sessionId: $id, input: $input, idempotencyKey: $key) {
    signal { seq kind severity detail occurredAt }
    userErrors { code field message }
  }
}"""

SCORE = f"""
mutation($id: ID!, $input: ScorecardInput!) {{
  submitScorecard(sessionId: $id, input: $input) {{
    session {{ {SESSION_FIELDS} scorecard {{ overallScore decision criteria {{ name score weight comment }} summary finalizedAt }} }}
    userErrors {{ code field message }}
  }}
}}"""


def payload(data: dict[str, Any]) -> dict[str, Any]:
    """The single mutation payload of a response's data."""
    (value,) = data.values()
    return value  # type: ignore[no-any-return]


async def mutate(api: Api, document: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    """Run a mutation that must succeed; returns its payload."""
    result = payload(await api.ok(document, variables, token=token))
    assert result["userErrors"] == [], result["userErrors"]
    return result


async def refused(api: Api, document: str, variables: dict[str, Any], token: str) -> list[dict[str, Any]]:
    """Run a mutation that must be refused; returns its userErrors."""
    result = payload(await api.ok(document, variables, token=token))
    assert result["userErrors"], result
    return result["userErrors"]  # type: ignore[no-any-return]


async def create_template(
    api: Api, token: str, *, thresholds: tuple[float, ...] = (60, 70, 65), **options: Any
) -> dict[str, Any]:
    stages = [{"name": f"Stage {i + 1}", "passThreshold": t} for i, t in enumerate(thresholds)]
    result = await mutate(api, CREATE_TEMPLATE, {"input": {"name": "Backend Engineer", "stages": stages, **options}}, token)
    return result["template"]  # type: ignore[no-any-return]


async def add_participant(api: Api, token: str, template_id: str, email: str, name: str = "Ada") -> dict[str, Any]:
    result = await mutate(api, ADD_PARTICIPANT, {"input": {"templateId": template_id, "name": name, "email": email}}, token)
    return result["application"]  # type: ignore[no-any-return]


async def schedule(api: Api, token: str, application_id: str, stage_id: str | None = None) -> dict[str, Any]:
    variables = {"input": {"applicationId": application_id, **({"stageId": stage_id} if stage_id else {})}}
    return (await mutate(api, SCHEDULE, variables, token))["session"]  # type: ignore[no-any-return]


async def application_with_session(api: Api, token: str, email: str = "ada@example.com") -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(template, application, a SCHEDULED session of stage 1)."""
    template = await create_template(api, token)
    application = await add_participant(api, token, template["id"], email)
    return template, application, await schedule(api, token, application["id"])


async def run_interview(api: Api, token: str, session_id: str, *, segments: int = 2) -> dict[str, Any]:
    """Start, stream `segments` segments, complete. Returns the completed session."""
    await mutate(api, START, {"id": session_id}, token)
    if segments:
        lines = [{"speaker": "AI" if i % 2 == 0 else "CANDIDATE", "text": f"line {i + 1}"} for i in range(segments)]
        await mutate(api, APPEND, {"id": session_id, "segments": lines}, token)
    return (await mutate(api, COMPLETE, {"id": session_id}, token))["session"]  # type: ignore[no-any-return]


async def score(api: Api, token: str, session_id: str, value: float) -> dict[str, Any]:
    variables = {"id": session_id, "input": {"criteria": [{"name": "Depth", "score": value}], "summary": "ok"}}
    return (await mutate(api, SCORE, variables, token))["session"]  # type: ignore[no-any-return]
