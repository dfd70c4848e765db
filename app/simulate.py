"""A simulated AI interviewer and scorer, driving demo sessions through the public API.

It is a plain GraphQL client (HTTP only): as an AGENT it starts a SCHEDULED session,
streams the transcript segment by segment at a speaking pace, records a few authenticity
signals and completes the session (or, now and then, fails it); as a SCORER it submits a
scorecard a little later. When nothing is scheduled it adds a candidate and schedules one,
so that a live view opened on `make run` always has something to watch.
"""

import asyncio
import logging
import random
from typing import Any

import httpx

logger = logging.getLogger("interview_api.simulate")

SCRIPT = [
    ("AI", "Hello, and thank you for joining. Could you introduce yourself briefly?"),
    ("CANDIDATE", "Sure. I'm a backend engineer; I've spent five years on payment systems."),
    ("AI", "Tell me about a system you designed that had to stay correct under load."),
    ("CANDIDATE", "We built a ledger service with an outbox, so every change emitted exactly one event."),
    ("AI", "How did you make sure consumers never processed an event twice?"),
    ("CANDIDATE", "Each event carried an id; consumers stored the ids they had seen and skipped repeats."),
    ("AI", "What would you change if you built it again?"),
    ("CANDIDATE", "I'd partition by account earlier; our single queue became the bottleneck."),
    ("AI", "Thank you, that's all from me. We'll be in touch soon."),
]
SIGNALS = [("tab_switch", "LOW"), ("second_voice", "MEDIUM"), ("face_not_visible", "LOW")]

Q_SCHEDULED = "query { sessions(status: [SCHEDULED], first: 5) { edges { node { id } } } }"
Q_TEMPLATES = "query { templates(first: 1) { edges { node { id } } } }"
M_KEY = "mutation($name: String!, $role: Role!) { createApiKey(input: {name: $name, role: $role}) { token userErrors { message } } }"
M_ADD = "mutation($t: ID!, $n: String!, $e: String!) { addParticipant(input: {templateId: $t, name: $n, email: $e}) { application { id } userErrors { message } } }"
M_SCHEDULE = "mutation($a: ID!) { scheduleSession(input: {applicationId: $a}) { session { id } userErrors { message } } }"
M_START = "mutation($id: ID!) { startSession(id: $id) { userErrors { code message } } }"
M_APPEND = "mutation($id: ID!, $s: [TranscriptSegmentInput!]!) { appendTranscript(sessionId: $id, segments: $s) { userErrors { message } } }"
M_SIGNAL = "mutation($id: ID!, $i: AuthenticitySignalInput!) { recordAuthenticitySignal(sessionId: $id, input: $i) { userErrors { message } } }"
M_COMPLETE = "mutation($id: ID!) { completeSession(id: $id) { userErrors { message } } }"
M_FAIL = "mutation($id: ID!, $r: String!) { failSession(id: $id, reason: $r) { userErrors { message } } }"
M_SCORE = "mutation($id: ID!, $i: ScorecardInput!) { submitScorecard(sessionId: $id, input: $i) { userErrors { message } } }"


class Client:
    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.token = token

    async def call(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers={"authorization": f"Bearer {self.token}"}
        )
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(body["errors"][0]["message"])
        return body["data"]  # type: ignore[no-any-return]


class Simulator:
    def __init__(self, http: httpx.AsyncClient, admin_token: str, *, pace: float, rng: random.Random) -> None:
        self.admin = Client(http, admin_token)
        self.http = http
        self.pace = pace
        self.rng = rng
        self.agent: Client | None = None
        self.scorer: Client | None = None
        self.claimed: set[str] = set()

    async def setup(self) -> None:
        for role in ("AGENT", "SCORER"):
            data = await self.admin.call(M_KEY, {"name": f"simulated {role.lower()}", "role": role})
            client = Client(self.http, data["createApiKey"]["token"])
            if role == "AGENT":
                self.agent = client
            else:
                self.scorer = client

    async def next_session(self) -> str | None:
        data = await self.admin.call(Q_SCHEDULED)
        for edge in data["sessions"]["edges"]:
            if edge["node"]["id"] not in self.claimed:
                self.claimed.add(edge["node"]["id"])
                return edge["node"]["id"]  # type: ignore[no-any-return]
        templates = (await self.admin.call(Q_TEMPLATES))["templates"]["edges"]
        if not templates:
            return None
        n = self.rng.randrange(1_000_000)
        added = await self.admin.call(M_ADD, {"t": templates[0]["node"]["id"], "n": f"Candidate {n}", "e": f"candidate{n}@example.com"})
        application = added["addParticipant"]["application"]
        if application is None:
            return None
        scheduled = await self.admin.call(M_SCHEDULE, {"a": application["id"]})
        session = scheduled["scheduleSession"]["session"]
        if session is not None:
            self.claimed.add(session["id"])
        return session["id"] if session else None

    async def interview(self, session_id: str) -> None:
        assert self.agent is not None and self.scorer is not None
        started = await self.agent.call(M_START, {"id": session_id})
        if started["startSession"]["userErrors"]:
            return  # someone else started it
        logger.info("interview %s started", session_id)
        fail_at = self.rng.randrange(3, len(SCRIPT)) if self.rng.random() < 0.15 else None
        position_ms = 0
        for i, (speaker, text) in enumerate(SCRIPT):
            if fail_at == i:
                await self.agent.call(M_FAIL, {"id": session_id, "r": "the candidate's connection dropped"})
                logger.info("interview %s failed", session_id)
                return
            duration = len(text) * 60
            await self.agent.call(
                M_APPEND,
                {"id": session_id, "s": [{"speaker": speaker, "text": text, "startMs": position_ms, "endMs": position_ms + duration}]},
            )
            position_ms += duration + 400
            if self.rng.random() < 0.25:
                kind, severity = self.rng.choice(SIGNALS)
                await self.agent.call(M_SIGNAL, {"id": session_id, "i": {"kind": kind, "severity": severity}})
            await asyncio.sleep(self.pace * self.rng.uniform(0.5, 1.5))  # speaking pace, not synchronisation
        await self.agent.call(M_COMPLETE, {"id": session_id})
        await asyncio.sleep(self.pace * 2)  # the scorer takes a moment
        score = self.rng.uniform(45, 95)
        await self.scorer.call(
            M_SCORE,
            {"id": session_id, "i": {"criteria": [
                {"name": "Technical depth", "score": round(score, 1), "weight": 2},
                {"name": "Communication", "score": round(self.rng.uniform(50, 95), 1), "weight": 1},
            ], "summary": "Simulated scorecard"}},
        )
        logger.info("interview %s completed and scored", session_id)


async def run(url: str, admin_token: str, *, pace: float = 1.5, parallel: int = 2, sessions: int | None = None, seed: int | None = None) -> None:
    """Drive interviews until cancelled (or until `sessions` have run)."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        for _ in range(300):  # wait up to ~30 s for the server
            try:
                if (await http.get("/readyz")).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
        simulator = Simulator(http, admin_token, pace=pace, rng=random.Random(seed))
        await simulator.setup()
        done = 0

        async def lane() -> None:
            nonlocal done
            while sessions is None or done < sessions:
                session_id = await simulator.next_session()
                if session_id is None:
                    await asyncio.sleep(pace * 3)
                    continue
                done += 1
                await simulator.interview(session_id)

        await asyncio.gather(*(lane() for _ in range(parallel)))
