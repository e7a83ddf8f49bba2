"""A design change reaches phones whichever warm container they ask.

Two processes serve the same store, as two warm Lambdas do: one takes the owner's
change, the other answers the phone. The second has the program in its cache from
before the change.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.helpers import create_program, enrol
from tests.e2e.test_apple_web_service import Device, download, pass_json

ROOT = Path(__file__).resolve().parents[2]

SERVER = """
from app import app
from localrun.wsgi import serve

server = serve(app, "127.0.0.1", 0)
print(server.socket.getsockname()[1], flush=True)
server.run()
"""


@pytest.fixture
def other_container(base_url: str) -> Iterator[httpx.Client]:
    """The same app in a process of its own, over the same DynamoDB: another warm Lambda."""
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        env=dict(os.environ),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as other:
            yield other
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_design_change_made_in_one_process_is_served_by_another_warm_one(
    client, merchant, other_container
):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    token = pass_json(download(client, member))["authenticationToken"]
    phone = Device(other_container, token, member["member_id"])
    assert phone.register().status_code == 201
    listed = phone.updated()
    tag = listed.json()["lastUpdated"]
    first = phone.fetch()
    assert first.status_code == 200  # the other process now holds the program

    changed = client.patch(
        f"/v1/programs/{program['program_id']}",
        json={"design": {"background_color": "#102030"}},
        headers=merchant.auth("owner"),
    )
    updates = phone.updated(since=tag)
    fresh = phone.fetch(if_modified_since=first.headers["Last-Modified"])

    assert changed.status_code == 200
    assert updates.status_code == 200
    assert updates.json()["serialNumbers"] == [member["member_id"]]
    assert fresh.status_code == 200
    assert fresh.headers["Last-Modified"] != first.headers["Last-Modified"]
    assert pass_json(fresh.content)["backgroundColor"] == "rgb(16, 32, 48)"
