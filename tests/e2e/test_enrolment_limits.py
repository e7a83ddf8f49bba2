"""Enrolment is throttled per address and per program, and one mailbox is one member."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.helpers import POINTS_CARD, create_program


@pytest.fixture
def limits(new_root):
    """Set the enrolment limits for one test (the suite turns the per-address one off)."""

    def set_limits(per_address: int = 0, per_program: int = 1000) -> None:
        new_root(
            ENROLMENT_LIMIT_PER_ADDRESS=str(per_address),
            ENROLMENT_LIMIT_PER_PROGRAM=str(per_program),
        )

    return set_limits


def enrol(client, program_id: str, email: str | None = None):
    body = {
        "name": "Eve",
        "email": email or f"eve.{uuid.uuid4().hex[:10]}@example.com",
        "consent": {"terms": True},
    }
    return client.post(f"/v1/programs/{program_id}/enrollments", json=body)


def test_enrolments_from_one_address_past_the_hourly_limit_are_refused(client, merchant, limits):
    limits(per_address=3)
    first, second = create_program(client, merchant), create_program(client, merchant)

    answers = [enrol(client, p["program_id"]) for p in (first, second, first, second)]

    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "too_many_enrolments"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600


def test_a_refused_enrolment_creates_no_member(client, merchant, limits):
    limits(per_program=1)
    program = create_program(client, merchant)
    enrol(client, program["program_id"])
    email = f"late.{uuid.uuid4().hex[:8]}@example.com"

    refused = enrol(client, program["program_id"], email)
    found = client.get("/v1/members", params={"email": email}, headers=merchant.auth("barista"))

    assert refused.status_code == 429
    assert found.json()["items"] == []


def test_enrolments_in_one_program_past_its_hourly_limit_are_refused(client, merchant, limits):
    limits(per_program=2)
    busy, quiet = create_program(client, merchant), create_program(client, merchant)

    answers = [enrol(client, busy["program_id"]) for _ in range(3)]
    elsewhere = enrol(client, quiet["program_id"])

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert "Retry-After" in answers[-1].headers
    assert elsewhere.status_code == 201


def test_zero_turns_the_per_address_limit_off(client, merchant, limits):
    limits(per_address=0)
    program = create_program(client, merchant)

    answers = [enrol(client, program["program_id"]) for _ in range(8)]

    assert {a.status_code for a in answers} == {201}


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ("eve.{n}@gmail.com", "E.V.E{n}+2@googlemail.com"),
        ("eve{n}@example.com", "Eve{n}+1@Example.com"),
    ],
)
def test_one_mailbox_farms_one_welcome_gift(client, merchant, first: str, again: str):
    program = create_program(client, merchant, {**POINTS_CARD, "welcome": {"points": 50}})
    n = uuid.uuid4().hex[:8]

    created = enrol(client, program["program_id"], first.format(n=n))
    farmed = enrol(client, program["program_id"], again.format(n=n))
    found = client.get(
        "/v1/members", params={"email": again.format(n=n)}, headers=merchant.auth("barista")
    )

    assert created.status_code == 201
    assert farmed.status_code == 200
    assert farmed.json()["status"] == "already_enrolled"
    assert [m["member_id"] for m in found.json()["items"]] == [created.json()["member_id"]]


def test_the_member_keeps_the_address_as_typed_for_mail(client, merchant):
    program = create_program(client, merchant)
    typed = f"Eve.Smith+cafe{uuid.uuid4().hex[:6]}@example.com"

    enrol(client, program["program_id"], typed)
    page = client.get(
        f"/v1/programs/{program['program_id']}/members", headers=merchant.auth("manager")
    )

    assert [m["email"] for m in page.json()["items"]] == [typed]
