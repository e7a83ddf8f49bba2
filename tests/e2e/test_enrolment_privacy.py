"""An address already enrolled gets its card by email, never in the answer."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from tests.e2e.helpers import create_program

ROOT = Path(__file__).resolve().parents[2]


def enrol(client, program_id: str, email: str, name: str = "Ada"):
    body = {"name": name, "email": email, "consent": {"terms": True}}
    return client.post(f"/v1/programs/{program_id}/enrollments", json=body)


def mails_to(client, address: str) -> list[dict]:
    response = client.get("/dev/mail")
    assert response.status_code == 200, response.text
    return [m for m in response.json()["items"] if m["to"] == address]


def new_address() -> str:
    return f"ada.{uuid.uuid4().hex[:10]}@example.com"


def test_enrolling_a_known_address_again_answers_nothing_of_the_card(client, merchant):
    program = create_program(client, merchant)
    address = new_address()
    enrol(client, program["program_id"], address)

    again = enrol(client, program["program_id"], address.upper(), name="Eve")

    assert again.status_code == 200
    assert set(again.json()) == {"status", "message"}
    assert again.json()["status"] == "already_enrolled"
    assert "sent your card to that address" in again.json()["message"]


def test_the_card_goes_to_the_address_it_was_made_for_by_email(client, merchant):
    program = create_program(client, merchant)
    address = new_address()
    first = enrol(client, program["program_id"], address).json()

    enrol(client, program["program_id"], address.replace("@", "+eve@"), name="Eve")
    [mail] = mails_to(client, address)
    apple_url = next(w for w in mail["text"].split() if "/v1/passes/apple/" in w)
    # The link names PUBLIC_BASE_URL; the app under test listens on another port.
    download = client.get(httpx.URL(apple_url).raw_path.decode())

    assert program["name"] in mail["subject"]
    assert "Test Café" in mail["text"]
    assert f"/v1/passes/apple/{first['member_id']}.pkpass?token=" in apple_url
    assert "https://pay.google.com/gp/v/save/" in mail["text"]
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/vnd.apple.pkpass"


def test_the_newest_mail_is_listed_first(client, merchant):
    program = create_program(client, merchant)
    first, second = new_address(), new_address()
    enrol(client, program["program_id"], first)
    enrol(client, program["program_id"], second)

    enrol(client, program["program_id"], first)
    enrol(client, program["program_id"], second)
    listed = [m["to"] for m in client.get("/dev/mail").json()["items"]]

    assert listed.index(second) < listed.index(first)


def test_card_emails_to_one_address_stop_after_three_a_day(client, merchant):
    program = create_program(client, merchant)
    address = new_address()
    enrol(client, program["program_id"], address)

    answers = [enrol(client, program["program_id"], address) for _ in range(5)]

    assert [a.status_code for a in answers] == [200] * 5
    assert all(set(a.json()) == {"status", "message"} for a in answers)
    assert len(mails_to(client, address)) == 3
    assert "sent your card to that address" not in answers[-1].json()["message"]


def test_a_new_enrolment_still_answers_with_the_card_and_sends_no_mail(client, merchant):
    program = create_program(client, merchant)
    address = new_address()

    created = enrol(client, program["program_id"], address)

    assert created.status_code == 201
    assert created.json()["barcode"]
    assert created.json()["passes"]["apple_url"]
    assert mails_to(client, address) == []


def test_the_mail_list_is_not_served_by_a_deployed_stage(dynamodb_url):
    # The app of a deployed stage, on a real port of its own process.
    script = (
        "import sys; from app import app; from localrun.wsgi import serve; "
        "s = serve(app, '127.0.0.1', 0); print(s.socket.getsockname()[1], flush=True); s.run()"
    )
    for stage in ("dev", "prod"):
        env = {**os.environ, "STAGE": stage}
        server = subprocess.Popen(
            [sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        try:
            port = int(server.stdout.readline())
            response = httpx.get(f"http://127.0.0.1:{port}/dev/mail", timeout=30)
            document = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=30).json()
        finally:
            server.terminate()
            server.wait(timeout=10)

        assert response.status_code == 404
        assert "/dev/mail" not in document["paths"]
