"""The README's walk through runs as written, against the local run's seed."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A walk through with curl", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def test_the_readme_walkthrough_runs_and_every_call_succeeds(
    base_url: str, dynamodb_url: str, tmp_path: Path
) -> None:
    from localrun.seed import seed

    (tmp_path / ".local").mkdir()
    demo = seed(tmp_path / ".local", base_url, dynamodb_url)
    (tmp_path / ".local" / "demo.json").write_text(json.dumps(demo))
    # Every curl fails the script on a 4xx or 5xx; its files go to this test's folder.
    script = (
        "set -euo pipefail\n"
        'curl() { command curl --fail-with-body "$@"; echo; }\n'
        + walkthrough().replace("/tmp/", f"{tmp_path}/")  # noqa: S108 - rewriting it away
    )

    run = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )

    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert '"status":"already_enrolled"' in run.stdout
    assert '"type":"void"' in run.stdout


def test_the_demo_logins_sign_in_for_every_role(
    base_url: str, dynamodb_url: str, tmp_path: Path
) -> None:
    from localrun.seed import seed

    demo = seed(tmp_path, base_url, dynamodb_url)

    roles = {}
    for role, login in demo["logins"].items():
        response = httpx.post(f"{base_url}/v1/auth/login", json=login, timeout=30)
        assert response.status_code == 200, response.text
        roles[role] = response.json()["staff"]["role"]

    assert roles == {"owner": "owner", "manager": "manager", "barista": "barista"}


def test_the_api_document_serves_the_program_documents_schema(client) -> None:
    document = client.get("/openapi.json").json()

    program = document["components"]["schemas"]["Program"]
    create = document["paths"]["/v1/programs"]["post"]["requestBody"]["content"]

    assert {"name", "kind", "stamps", "points", "birthday", "design"} <= set(program["properties"])
    assert create["application/json"]["schema"] == {"$ref": "#/components/schemas/Program"}
