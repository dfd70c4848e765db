"""The `interview-api` command, as a user runs it."""

import subprocess
from pathlib import Path

import httpx

from tests.support.processes import CLI, api_process, env


def test_create_org_prints_the_admin_token_last_and_serve_accepts_it(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path}/cli.db"
    done = subprocess.run([*CLI, "create-org", "Acme Hiring"], env=env(DATABASE_URL=database_url), capture_output=True, text=True, check=True)
    token = done.stdout.strip().splitlines()[-1]
    assert token.startswith("iak_")
    with api_process(database_url) as url:
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        assert httpx.get(f"{url}/readyz").status_code == 200
        response = httpx.post(f"{url}/graphql", json={"query": "{ viewer { role organization { name } } }"}, headers={"authorization": f"Bearer {token}"})
        assert response.json() == {"data": {"viewer": {"role": "ADMIN", "organization": {"name": "Acme Hiring"}}}}
        # Without --demo an empty database stays empty.
        response = httpx.post(f"{url}/graphql", json={"query": "{ templates { totalCount } }"}, headers={"authorization": f"Bearer {token}"})
        assert response.json()["data"]["templates"]["totalCount"] == 0


def test_migrate_and_export_schema(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path}/m.db"
    subprocess.run([*CLI, "migrate"], env=env(DATABASE_URL=database_url), check=True, capture_output=True)
    assert (tmp_path / "m.db").exists()
    out = tmp_path / "schema.graphql"
    subprocess.run([*CLI, "export-schema", "--output", str(out)], check=True, capture_output=True)
    assert "type Session implements Node" in out.read_text()
