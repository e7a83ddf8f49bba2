"""What a cold start does not pay for: `import app` leaves out what only some handlers use.

Every Lambda function of the app imports app.py. The libraries below are imported by
the handlers that need them, on their first call; bench/coldstart.py times the rest.
This test times nothing: it looks at `sys.modules` in a fresh process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Imported lazily on purpose, each with the handlers that need it.
LAZY = {
    "chalicelib.services.delivery": "the outbox stream and sweeper, and /v1/health",
    "chalicelib.push.apns": "APNs pushes (asyncio and h2)",
    "h2": "APNs pushes",
    "google.auth": "the Google Wallet REST client and save links",
    "google.oauth2": "the Google Wallet REST client",
    "requests": "the Google Wallet REST client and Google's callback keys",
    "PIL": "pass images, program images and the counter poster",
    "segno": "the counter poster's QR code",
    "chalicelib.jobs.runner": "the scheduled jobs",
    "chalicelib.services.scheduled": "the scheduled jobs",
}

# The import is watched from inside: a connection or a DNS lookup is noted, and refused.
PROBE = """
import json, socket, sys

reached = []

def refuse(*args, **kwargs):
    reached.append(repr(args[1:] or args))
    raise OSError("the app reached for the network while it was imported")

socket.socket.connect = refuse
socket.getaddrinfo = refuse

import app
from chalicelib.services import auth

print(json.dumps({
    "modules": sorted(sys.modules),
    "dummy_hash_made": auth._dummy_hash.made(),
    "network": reached,
}))
"""


@pytest.fixture(scope="module")
def imported() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("module", sorted(LAZY))
def test_importing_the_app_leaves_out_what_only_some_handlers_need(imported, module):
    assert module not in imported["modules"], f"{module} is for {LAZY[module]} only"


def test_importing_the_app_hashes_no_password(imported):
    # The dummy argon2id hash (equal timing for unknown emails) costs 100 ms: first sign-in.
    assert imported["dummy_hash_made"] is False


def test_importing_the_app_reaches_for_no_network(imported):
    assert imported["network"] == []
