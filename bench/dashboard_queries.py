"""The two GraphQL documents measured, the request bodies, and the check that the floor
answers with the same data as the API.

DASHBOARD is the query of tests/test_dashboard_reads.py (the Applications panel); it is
repeated here because nothing in bench/ imports the tests, nor the tests bench/.
"""

from dataclasses import dataclass
from typing import Any

import orjson

DASHBOARD = """
query Dashboard($id: ID!, $first: Int!) {
  template(id: $id) {
    name
    stages { id position name passThreshold }
    applications(first: $first) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        id hrStatus createdAt
        participant { id name email }
        sessions(first: 20) { edges { node { id status attempt createdAt stage { id position name } } } }
        latestSessionPerStage { stage { position } session { id status attempt } }
        rollup { status stage { position } }
      } }
    }
  }
}"""

SESSION_DETAIL = """
query SessionDetail($id: ID!) {
  session(id: $id) {
    id status attempt scheduledFor createdAt startedAt endedAt cancelledAt failureReason cancelReason recordingUrl
    stage { id position name passThreshold }
    participant { id name email }
    template { id name slug }
    transcript { seq speaker text startMs endMs createdAt }
    authenticitySignals { seq kind severity detail occurredAt }
    scorecard { overallScore decision criteria { name score weight comment } summary finalizedAt }
    events { id type sequence occurredAt data }
  }
}"""

OPERATIONS = {"Dashboard": DASHBOARD, "SessionDetail": SESSION_DETAIL}


@dataclass(frozen=True)
class Scenario:
    """One measured case: a name, and the request bodies sent in turn (the same to both servers)."""

    name: str
    operation: str
    bodies: tuple[bytes, ...]
    description: str


def body(operation: str, variables: dict[str, Any]) -> bytes:
    return orjson.dumps({"query": OPERATIONS[operation], "operationName": operation, "variables": variables})


def dashboard(template_gid: str, first: int) -> Scenario:
    return Scenario(
        name=f"dashboard first={first}",
        operation="Dashboard",
        bodies=(body("Dashboard", {"id": template_gid, "first": first}),),
        description=f"the template's first {first} applications with participant, sessions and their stage, "
        "latestSessionPerStage and rollup",
    )


def session_detail(session_gids: list[str]) -> Scenario:
    return Scenario(
        name="session detail",
        operation="SessionDetail",
        bodies=tuple(body("SessionDetail", {"id": gid}) for gid in session_gids),
        description=f"one scored session (in turn over {len(session_gids)}) with stage, participant, template, "
        "20 transcript segments, signals, scorecard and events",
    )


def differences(api: Any, floor: Any, path: str = "data", limit: int = 5) -> list[str]:
    """Where two decoded JSON values differ (at most `limit` places); [] when they are equal."""
    found: list[str] = []
    _diff(api, floor, path, found, limit)
    return found


def _diff(api: Any, floor: Any, path: str, found: list[str], limit: int) -> None:
    if len(found) >= limit:
        return
    if isinstance(api, dict) and isinstance(floor, dict):
        for key in sorted(set(api) | set(floor)):
            if key not in api or key not in floor:
                found.append(f"{path}.{key}: only in {'api' if key in api else 'floor'}")
            else:
                _diff(api[key], floor[key], f"{path}.{key}", found, limit)
    elif isinstance(api, list) and isinstance(floor, list):
        if len(api) != len(floor):
            found.append(f"{path}: {len(api)} items from the api, {len(floor)} from the floor")
        for index, (a, f) in enumerate(zip(api, floor)):
            _diff(a, f, f"{path}[{index}]", found, limit)
    elif api != floor:
        found.append(f"{path}: api {api!r} != floor {floor!r}")


def dashboard_summary(data: dict[str, Any]) -> dict[str, Any]:
    """What the check reports about a dashboard answer (counted on the API's side)."""
    edges = data["template"]["applications"]["edges"]
    latest = [e["session"]["id"] for edge in edges for e in edge["node"]["latestSessionPerStage"] if e["session"]]
    return {
        "applications": len(edges),
        "sessions": sum(len(edge["node"]["sessions"]["edges"]) for edge in edges),
        "latest_per_stage_sessions": len(latest),
    }


__all__ = ["DASHBOARD", "SESSION_DETAIL", "Scenario", "body", "dashboard", "differences", "session_detail"]
