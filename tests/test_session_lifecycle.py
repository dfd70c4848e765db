"""The session lifecycle through the real API, on SQLite and PostgreSQL."""

from typing import Any

from models import Role
from tests.conftest import Org
from tests.support import flows
from tests.support.server import Api

EVENTS = """
query($id: ID!) {
  session(id: $id) { events { id type sequence occurredAt data session { id } } }
}"""


async def _events(api: Api, token: str, session_id: str) -> list[dict[str, Any]]:
    data = await api.ok(EVENTS, {"id": session_id}, token=token)
    return data["session"]["events"]  # type: ignore[no-any-return]


async def test_a_session_runs_from_scheduled_to_scored(api: Api, org: Org) -> None:
    template, application, session = await flows.application_with_session(api, org.admin)
    assert session["status"] == "SCHEDULED"
    assert session["attempt"] == 1
    assert session["joinUrl"].startswith("https://interviews.example.com/join/")
    assert session["stage"]["position"] == 1

    agent = org[Role.AGENT]
    started = await flows.mutate(api, flows.START, {"id": session["id"]}, agent)
    assert started["session"]["status"] == "IN_PROGRESS"
    assert started["session"]["startedAt"] is not None

    appended = await flows.mutate(
        api,
        flows.APPEND,
        {"id": session["id"], "segments": [
            {"speaker": "AI", "text": "Hello", "startMs": 0, "endMs": 900},
            {"speaker": "CANDIDATE", "text": "Hi there", "startMs": 1000, "endMs": 1800},
        ]},
        agent,
    )
    assert [s["seq"] for s in appended["segments"]] == [1, 2]
    more = await flows.mutate(api, flows.APPEND, {"id": session["id"], "segments": [{"speaker": "AI", "text": "Next"}]}, agent)
    assert [s["seq"] for s in more["segments"]] == [3]

    completed = await flows.mutate(
        api, flows.COMPLETE, {"id": session["id"], "url": "https://recordings.example.com/1.webm"}, agent
    )
    assert completed["session"]["status"] == "COMPLETED"
    assert completed["session"]["recordingUrl"] == "https://recordings.example.com/1.webm"

    scored = await flows.mutate(
        api,
        flows.SCORE,
        {"id": session["id"], "input": {"criteria": [
            {"name": "Depth", "score": 80, "weight": 3},
            {"name": "Clarity", "score": 40, "weight": 1},
        ]}},
        org[Role.SCORER],
    )
    card = scored["session"]["scorecard"]
    assert card["overallScore"] == 70.0  # (80*3 + 40*1) / 4
    assert card["decision"] == "PASS"  # threshold of stage 1 is 60

    events = await _events(api, org.admin, session["id"])
    assert [(e["type"], e["sequence"]) for e in events] == [
        ("SESSION_CREATED", 1),
        ("SESSION_STARTED", 2),
        ("SESSION_COMPLETED", 3),
        ("SESSION_SCORED", 4),
    ]
    scored_event = events[-1]
    assert scored_event["data"]["sequence"] == 4
    assert scored_event["data"]["scorecard"]["overallScore"] == 70.0
    assert scored_event["data"]["scorecard"]["decision"] == "PASS"
    snapshot = scored_event["data"]["session"]
    assert snapshot == {
        "id": session["id"],
        "status": "COMPLETED",
        "attempt": 1,
        "applicationId": application["id"],
        "participantId": application["participant"]["id"],
        "stageId": template["stages"][0]["id"],
        "templateId": template["id"],
        "scheduledFor": None,
        "createdAt": snapshot["createdAt"],
        "startedAt": snapshot["startedAt"],
        "endedAt": snapshot["endedAt"],
        "failureReason": None,
        "cancelReason": None,
    }
    assert snapshot["createdAt"].endswith("Z") and snapshot["endedAt"].endswith("Z")


async def test_a_pass_schedules_the_next_stage_in_the_same_transaction(api: Api, org: Org) -> None:
    template, application, session = await flows.application_with_session(api, org.admin)
    await flows.run_interview(api, org.admin, session["id"])
    await flows.score(api, org.admin, session["id"], 90)

    data = await api.ok(
        """query($id: ID!) { application(id: $id) {
            rollup { status stage { position } }
            latestSessionPerStage { stage { position } session { id status attempt causedBy { type sequence session { id } } } }
        } }""",
        {"id": application["id"]},
        token=org.admin,
    )
    app = data["application"]
    assert app["rollup"] == {"status": "SCHEDULED", "stage": {"position": 2}}
    first, second, third = app["latestSessionPerStage"]
    assert first["session"]["id"] == session["id"]
    assert second["session"]["status"] == "SCHEDULED"
    assert second["session"]["causedBy"] == {"type": "SESSION_SCORED", "sequence": 4, "session": {"id": session["id"]}}
    assert third["session"] is None
    events = await _events(api, org.admin, second["session"]["id"])
    assert [e["type"] for e in events] == ["SESSION_CREATED"]


async def test_a_fail_does_not_progress_and_the_last_stage_passes_all(api: Api, org: Org) -> None:
    template = await flows.create_template(api, org.admin, thresholds=(50,))
    failing = await flows.add_participant(api, org.admin, template["id"], "f@example.com")
    passing = await flows.add_participant(api, org.admin, template["id"], "p@example.com")
    for application, value in ((failing, 49.99), (passing, 50)):
        session = await flows.schedule(api, org.admin, application["id"])
        await flows.run_interview(api, org.admin, session["id"])
        await flows.score(api, org.admin, session["id"], value)
    query = "query($id: ID!) { application(id: $id) { rollup { status } sessions { totalCount } } }"
    for application, status in ((failing, "NOT_PASSED"), (passing, "PASSED_ALL_STAGES")):
        data = await api.ok(query, {"id": application["id"]}, token=org.admin)
        assert data["application"] == {"rollup": {"status": status}, "sessions": {"totalCount": 1}}


async def test_invalid_transitions_are_refused_and_change_nothing(api: Api, org: Org) -> None:
    _, _, session = await flows.application_with_session(api, org.admin)
    sid = {"id": session["id"]}
    # SCHEDULED cannot complete or fail.
    for document, extra in ((flows.COMPLETE, {}), (flows.FAIL, {"reason": "x"})):
        errors = await flows.refused(api, document, {**sid, **extra}, org.admin)
        assert errors[0]["code"] == "INVALID_TRANSITION"
    await flows.mutate(api, flows.START, sid, org.admin)
    # IN_PROGRESS cannot start again or be cancelled.
    assert (await flows.refused(api, flows.START, sid, org.admin))[0]["code"] == "INVALID_TRANSITION"
    assert (await flows.refused(api, flows.CANCEL, sid, org.admin))[0]["code"] == "INVALID_TRANSITION"
    await flows.mutate(api, flows.FAIL, {**sid, "reason": "candidate dropped"}, org.admin)
    # Terminal: nothing moves, nothing is appended, nothing is scored.
    for document in (flows.START, flows.CANCEL, flows.COMPLETE):
        assert (await flows.refused(api, document, sid, org.admin))[0]["code"] == "INVALID_TRANSITION"
    errors = await flows.refused(api, flows.APPEND, {**sid, "segments": [{"speaker": "AI", "text": "late"}]}, org.admin)
    assert errors[0]["code"] == "SESSION_TERMINAL"
    errors = await flows.refused(api, flows.SIGNAL, {**sid, "input": {"kind": "tab_switch", "severity": "LOW"}}, org.admin)
    assert errors[0]["code"] == "SESSION_TERMINAL"
    errors = await flows.refused(api, flows.SCORE, {**sid, "input": {"criteria": [{"name": "a", "score": 1}]}}, org.admin)
    assert errors[0]["code"] == "INVALID_TRANSITION"

    data = await api.ok("query($id: ID!) { session(id: $id) { status failureReason transcript { seq } events { type } } }", sid, token=org.admin)
    assert data["session"] == {
        "status": "FAILED",
        "failureReason": "candidate dropped",
        "transcript": [],
        "events": [{"type": "SESSION_CREATED"}, {"type": "SESSION_STARTED"}, {"type": "SESSION_FAILED"}],
    }


async def test_a_scorecard_is_accepted_once(api: Api, org: Org) -> None:
    _, _, session = await flows.application_with_session(api, org.admin)
    await flows.run_interview(api, org.admin, session["id"])
    await flows.score(api, org.admin, session["id"], 10)
    errors = await flows.refused(
        api, flows.SCORE, {"id": session["id"], "input": {"criteria": [{"name": "Depth", "score": 99}]}}, org.admin
    )
    assert errors[0]["code"] == "ALREADY_SCORED"
    data = await api.ok("query($id: ID!) { session(id: $id) { scorecard { overallScore } events { type } } }", {"id": session["id"]}, token=org.admin)
    assert data["session"]["scorecard"]["overallScore"] == 10
    assert [e["type"] for e in data["session"]["events"]].count("SESSION_SCORED") == 1


async def test_retries_are_fresh_sessions_and_one_open_session_per_stage(api: Api, org: Org) -> None:
    template, application, first = await flows.application_with_session(api, org.admin)
    errors = await flows.refused(api, flows.SCHEDULE, {"input": {"applicationId": application["id"]}}, org.admin)
    assert errors[0]["code"] == "CONFLICT"

    await flows.mutate(api, flows.CANCEL, {"id": first["id"], "reason": "rescheduling"}, org.admin)
    second = await flows.schedule(api, org.admin, application["id"])
    assert second["attempt"] == 2
    assert second["previousAttempt"] == {"id": first["id"]}
    await flows.mutate(api, flows.START, {"id": second["id"]}, org.admin)
    await flows.mutate(api, flows.FAIL, {"id": second["id"], "reason": "network"}, org.admin)
    third = await flows.schedule(api, org.admin, application["id"], template["stages"][0]["id"])
    assert third["attempt"] == 3 and third["previousAttempt"] == {"id": second["id"]}

    data = await api.ok(
        """query($id: ID!) { application(id: $id) {
            rollup { status }
            latestSession { id }
            latestSessionPerStage { session { id attempt } }
            sessions { totalCount edges { node { id status attempt } } }
        } }""",
        {"id": application["id"]},
        token=org.admin,
    )
    app = data["application"]
    assert app["rollup"]["status"] == "SCHEDULED"  # the retry shows at once
    assert app["latestSession"]["id"] == third["id"]
    assert app["latestSessionPerStage"][0]["session"] == {"id": third["id"], "attempt": 3}
    assert [e["node"]["status"] for e in app["sessions"]["edges"]] == ["SCHEDULED", "FAILED", "CANCELLED"]
    assert app["sessions"]["totalCount"] == 3

    # The two old sessions never changed.
    data = await api.ok("query($id: ID!) { session(id: $id) { status cancelReason } }", {"id": first["id"]}, token=org.admin)
    assert data["session"] == {"status": "CANCELLED", "cancelReason": "rescheduling"}


async def test_approval_gates_scheduling_and_rejection_cancels(api: Api, org: Org) -> None:
    template = await flows.create_template(api, org.admin, requireApproval=True)
    application = await flows.add_participant(api, org.admin, template["id"], "gated@example.com")
    assert application["hrStatus"] == "PENDING"
    assert application["rollup"]["status"] == "AWAITING_APPROVAL"
    errors = await flows.refused(api, flows.SCHEDULE, {"input": {"applicationId": application["id"]}}, org.admin)
    assert errors[0]["code"] == "APPLICATION_NOT_APPROVED"

    approve = "mutation($id: ID!) { approveApplication(id: $id) { application { hrStatus rollup { status } } userErrors { code } } }"
    approved = await flows.mutate(api, approve, {"id": application["id"]}, org[Role.RECRUITER])
    assert approved["application"] == {"hrStatus": "APPROVED", "rollup": {"status": "NOT_SCHEDULED"}}
    session = await flows.schedule(api, org.admin, application["id"])

    reject = "mutation($id: ID!) { rejectApplication(id: $id, reason: \"role filled\") { application { hrStatus rollup { status stage { id } } } userErrors { code } } }"
    rejected = await flows.mutate(api, reject, {"id": application["id"]}, org.admin)
    assert rejected["application"] == {"hrStatus": "REJECTED", "rollup": {"status": "REJECTED", "stage": None}}
    data = await api.ok("query($id: ID!) { session(id: $id) { status cancelReason events { type } } }", {"id": session["id"]}, token=org.admin)
    assert data["session"]["status"] == "CANCELLED"
    assert data["session"]["cancelReason"] == "role filled"
    assert data["session"]["events"][-1]["type"] == "SESSION_CANCELLED"


async def test_signals_are_numbered_per_session(api: Api, org: Org) -> None:
    _, _, session = await flows.application_with_session(api, org.admin)
    await flows.mutate(api, flows.START, {"id": session["id"]}, org.admin)
    seqs = []
    for kind in ("tab_switch", "second_voice", "face_missing"):
        result = await flows.mutate(
            api, flows.SIGNAL, {"id": session["id"], "input": {"kind": kind, "severity": "MEDIUM", "detail": "seen"}}, org.admin
        )
        seqs.append(result["signal"]["seq"])
    assert seqs == [1, 2, 3]
    data = await api.ok("query($id: ID!) { session(id: $id) { authenticitySignals { seq kind } } }", {"id": session["id"]}, token=org.admin)
    assert [s["kind"] for s in data["session"]["authenticitySignals"]] == ["tab_switch", "second_voice", "face_missing"]


async def test_a_rejected_application_keeps_its_scorecard_without_progressing(api: Api, org: Org) -> None:
    _, application, session = await flows.application_with_session(api, org.admin)
    await flows.mutate(api, flows.START, {"id": session["id"]}, org.admin)
    reject = "mutation($id: ID!) { rejectApplication(id: $id) { userErrors { code } } }"
    await flows.mutate(api, reject, {"id": application["id"]}, org.admin)
    # The interview in progress may still finish and be scored; nothing more is scheduled.
    await flows.mutate(api, flows.COMPLETE, {"id": session["id"]}, org.admin)
    scored = await flows.score(api, org.admin, session["id"], 95)
    assert scored["scorecard"]["decision"] == "PASS"
    data = await api.ok("query($id: ID!) { application(id: $id) { rollup { status } sessions { totalCount } } }", {"id": application["id"]}, token=org.admin)
    assert data["application"] == {"rollup": {"status": "REJECTED"}, "sessions": {"totalCount": 1}}
