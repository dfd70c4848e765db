"""The simulated interviewer drives sessions through the public API."""

from app.simulate import run
from tests.conftest import Org
from tests.support import flows
from tests.support.server import Api

QUERY = "{ sessions(first: 10) { edges { node { status transcript { seq speaker } scorecard { decision } } } } }"


async def test_the_simulator_runs_interviews_end_to_end(sqlite_api: Api, sqlite_org: Org) -> None:
    template = await flows.create_template(sqlite_api, sqlite_org.admin)
    await flows.add_participant(sqlite_api, sqlite_org.admin, template["id"], "sim@example.com")
    await run(sqlite_api.url, sqlite_org.admin, pace=0.001, parallel=1, sessions=3, seed=3)
    sessions = [e["node"] for e in (await sqlite_api.ok(QUERY, token=sqlite_org.admin))["sessions"]["edges"]]
    finished = [s for s in sessions if s["status"] in ("COMPLETED", "FAILED")]
    assert len(finished) >= 3
    for session in finished:
        seqs = [segment["seq"] for segment in session["transcript"]]
        assert seqs == list(range(1, len(seqs) + 1)) and seqs
        if session["status"] == "COMPLETED":
            assert session["scorecard"] is not None
