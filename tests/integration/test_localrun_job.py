"""`make job` prints what the job did, not the AWS SDK's chatter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_job_run_does_not_log_where_the_credentials_came_from(dynamodb_url: str) -> None:
    env = {**os.environ, "DYNAMODB_ENDPOINT": dynamodb_url}

    run = subprocess.run(
        [sys.executable, "-m", "localrun", "job", "--name", "expiry"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    assert run.stdout.startswith("expiry: ")
    assert "Found credentials" not in run.stderr + run.stdout
