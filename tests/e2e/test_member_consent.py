"""The consents given at enrolment travel with the member: view, export, offers."""

from __future__ import annotations

import uuid

from tests.e2e.helpers import create_program


def enrol(client, program_id: str, consent: dict) -> dict:
    body = {
        "name": "Ada",
        "email": f"{uuid.uuid4().hex[:10]}@example.com",
        "consent": {"terms": True, **consent},
    }
    response = client.post(f"/v1/programs/{program_id}/enrollments", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_member_view_shows_the_consents_given_at_enrolment(client, merchant):
    program = create_program(client, merchant)
    both = enrol(client, program["program_id"], {"marketing": True, "leaderboard": True})
    neither = enrol(client, program["program_id"], {})

    read_both = client.get(f"/v1/members/{both['member_id']}", headers=merchant.auth("barista"))
    read_neither = client.get(
        f"/v1/members/{neither['member_id']}", headers=merchant.auth("barista")
    )

    assert both["member"]["consent"] == {"marketing": True, "leaderboard": True}
    assert read_both.json()["consent"] == {"marketing": True, "leaderboard": True}
    assert read_neither.json()["consent"] == {"marketing": False, "leaderboard": False}


def test_the_owners_export_carries_the_marketing_consent(client, merchant):
    program = create_program(client, merchant)
    yes = enrol(client, program["program_id"], {"marketing": True})
    no = enrol(client, program["program_id"], {"marketing": False})

    page = client.get(
        f"/v1/programs/{program['program_id']}/members", headers=merchant.auth("owner")
    )

    consent = {m["member_id"]: m["consent"]["marketing"] for m in page.json()["items"]}
    assert consent == {yes["member_id"]: True, no["member_id"]: False}


def test_erasure_withdraws_every_consent(client, merchant):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"], {"marketing": True, "leaderboard": True})

    client.delete(f"/v1/members/{member['member_id']}", headers=merchant.auth("owner"))
    page = client.get(
        f"/v1/programs/{program['program_id']}/members", headers=merchant.auth("owner")
    )

    [row] = page.json()["items"]
    assert row["consent"] == {"marketing": False, "leaderboard": False}


def test_a_leaderboard_consent_that_is_not_a_boolean_is_refused(client, merchant):
    program = create_program(client, merchant)

    response = client.post(
        f"/v1/programs/{program['program_id']}/enrollments",
        json={
            "name": "Ada",
            "email": "ada@example.com",
            "consent": {"terms": True, "leaderboard": "yes"},
        },
    )

    assert response.status_code == 422
