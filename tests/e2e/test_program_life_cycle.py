"""A program closes to new members (its cards keep working), reopens, and is copied."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.helpers import STAMP_CARD, create_program, enrol, ledger, stamp


def set_status(client, merchant, program_id: str, status: str):
    return client.patch(
        f"/v1/programs/{program_id}", json={"status": status}, headers=merchant.auth("owner")
    )


def listed(client, merchant, **params) -> list[str]:
    response = client.get(
        "/v1/programs", params={"limit": 100, **params}, headers=merchant.auth("manager")
    )
    assert response.status_code == 200, response.text
    return [p["program_id"] for p in response.json()["items"]]


def test_a_new_program_is_active(client, merchant):
    program = create_program(client, merchant)

    assert program["status"] == "active"


def test_a_closed_program_refuses_enrolment_and_its_cards_keep_working(client, merchant):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])

    closed = set_status(client, merchant, program["program_id"], "closed")
    refused = client.post(
        f"/v1/programs/{program['program_id']}/enrollments",
        json={
            "name": "Bo",
            "email": f"{uuid.uuid4().hex[:8]}@example.com",
            "consent": {"terms": True},
        },
    )
    stamped = stamp(client, merchant, member["member_id"])

    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert "pass_updates" not in closed.json() or closed.json()["pass_updates"] is None
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "program_closed"
    assert stamped.status_code == 200, stamped.text
    assert [t["type"] for t in ledger(client, merchant, member["member_id"])] == ["stamp"]


def test_a_reopened_program_enrols_again(client, merchant):
    program = create_program(client, merchant)
    set_status(client, merchant, program["program_id"], "closed")

    reopened = set_status(client, merchant, program["program_id"], "active")

    assert reopened.status_code == 200
    assert enrol(client, program["program_id"])["member_id"]


def test_closed_programs_are_listed_only_when_asked_for(client, merchant):
    kept = create_program(client, merchant)["program_id"]
    closed = create_program(client, merchant)["program_id"]
    set_status(client, merchant, closed, "closed")

    assert listed(client, merchant) == [kept]
    assert listed(client, merchant, include="closed") == [kept, closed]


def test_the_join_page_of_a_closed_program_says_so_instead_of_showing_the_form(client, merchant):
    program = create_program(client, merchant)
    set_status(client, merchant, program["program_id"], "closed")

    page = client.get(f"/join/{program['program_id']}")

    assert page.status_code == 200
    assert "This program is closed" in page.text
    assert 'id="join"' not in page.text


@pytest.mark.parametrize("status", ["open", "deleted", None])
def test_an_unknown_status_is_refused(client, merchant, status):
    program = create_program(client, merchant)

    response = set_status(client, merchant, program["program_id"], status)

    if status is None:  # a merge patch's null removes it: back to the default
        assert response.status_code == 200
        assert response.json()["status"] == "active"
    else:
        assert response.status_code == 422
        assert response.json()["error"]["field"] == "status"


def test_only_an_owner_closes_a_program(client, merchant):
    program = create_program(client, merchant)

    response = client.patch(
        f"/v1/programs/{program['program_id']}",
        json={"status": "closed"},
        headers=merchant.auth("manager"),
    )

    assert response.status_code == 403
    assert listed(client, merchant) == [program["program_id"]]


# --- copies -------------------------------------------------------------------------


def test_a_copy_has_the_same_document_a_copy_s_name_and_is_active(client, merchant):
    document = {**STAMP_CARD, "welcome": {"stamps": 2}, "reward_valid_days": 30}
    original = create_program(client, merchant, document)
    set_status(client, merchant, original["program_id"], "closed")

    response = client.post(
        f"/v1/programs/{original['program_id']}/copies", headers=merchant.auth("owner")
    )

    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["program_id"] != original["program_id"]
    assert copy["name"] == "Coffee card (copy)"
    assert copy["status"] == "active"
    same = ("kind", "stamps", "welcome", "reward_valid_days", "design")
    assert {k: copy[k] for k in same} == {k: original[k] for k in same}
    assert listed(client, merchant) == [copy["program_id"]]
    assert enrol(client, copy["program_id"])["member"]["balances"]["stamps"] == 2


def test_a_copy_of_a_long_name_still_fits(client, merchant):
    original = create_program(client, merchant, {**STAMP_CARD, "name": "N" * 100})

    copy = client.post(
        f"/v1/programs/{original['program_id']}/copies", headers=merchant.auth("owner")
    ).json()

    assert copy["name"] == "N" * 93 + " (copy)"


def test_only_the_owner_of_the_program_copies_it(client, merchant, other_merchant):
    original = create_program(client, merchant)
    path = f"/v1/programs/{original['program_id']}/copies"

    by_manager = client.post(path, headers=merchant.auth("manager"))
    by_stranger = client.post(path, headers=other_merchant.auth("owner"))

    assert by_manager.status_code == 403
    assert by_stranger.status_code == 404
    assert listed(client, merchant) == [original["program_id"]]
    assert listed(client, other_merchant) == []
