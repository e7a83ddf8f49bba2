"""One merchant's token never reads or changes another merchant's data.

Another merchant's id answers exactly as an id that does not exist (404, not 403),
so that ids do not leak.
"""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.test_programs_and_enrolment import create_program, enrol

UNKNOWN_ID = "AAAAAAAAAAAAAAAAAAAAAA"  # the shape of an id, naming nothing


def new_email(label: str = "ada") -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture
def theirs(client, merchant):
    """The first merchant's program and one enrolled member: what the other must not reach."""
    program = create_program(client, merchant)
    enrolled = enrol(client, program["program_id"], email=new_email()).json()
    return {"program": program, "member_id": enrolled["member_id"], "barcode": enrolled["barcode"]}


def assert_not_found_like_an_unknown_id(response, unknown) -> None:
    assert response.status_code == 404, response.text
    assert response.json() == unknown.json()


# --- ids of another merchant ---------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "manager", "barista"])
def test_another_merchants_member_is_not_found(client, merchant, other_merchant, theirs, role):
    headers = other_merchant.auth(role)

    response = client.get(f"/v1/members/{theirs['member_id']}", headers=headers)
    unknown = client.get(f"/v1/members/{UNKNOWN_ID}", headers=headers)

    assert_not_found_like_an_unknown_id(response, unknown)


def test_another_merchants_program_cannot_be_changed(client, merchant, other_merchant, theirs):
    program_id = theirs["program"]["program_id"]
    patch = {"name": "Hijacked", "design": {"logo_text": "Hijacked"}}

    response = client.patch(
        f"/v1/programs/{program_id}", json=patch, headers=other_merchant.auth("owner")
    )
    unknown = client.patch(
        f"/v1/programs/{UNKNOWN_ID}", json=patch, headers=other_merchant.auth("owner")
    )

    assert_not_found_like_an_unknown_id(response, unknown)
    after = client.get(f"/v1/programs/{program_id}").json()
    assert after == theirs["program"]


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_another_merchants_staff_account_cannot_be_deleted(client, merchant, other_merchant, role):
    barista_id = merchant.staff_ids["barista"]

    response = client.delete(f"/v1/staff/{barista_id}", headers=other_merchant.auth(role))
    unknown = client.delete(f"/v1/staff/{UNKNOWN_ID}", headers=other_merchant.auth(role))

    assert_not_found_like_an_unknown_id(response, unknown)
    still = client.get(
        "/v1/members", params={"email": new_email()}, headers=merchant.auth("barista")
    )
    assert still.status_code == 200
    listed = client.get("/v1/staff", headers=merchant.auth("owner")).json()["items"]
    assert barista_id in {s["staff_id"] for s in listed}


@pytest.mark.parametrize(
    ("role", "target"),
    [("owner", "owner"), ("owner", "manager"), ("owner", "barista"), ("manager", "barista")],
)
def test_no_token_is_issued_for_another_merchants_account(
    client, merchant, other_merchant, role, target
):
    staff_id = merchant.staff_ids[target]

    response = client.post(f"/v1/staff/{staff_id}/tokens", headers=other_merchant.auth(role))
    unknown = client.post(f"/v1/staff/{UNKNOWN_ID}/tokens", headers=other_merchant.auth(role))

    assert_not_found_like_an_unknown_id(response, unknown)
    assert "token" not in response.text


def test_another_merchants_barcode_scans_as_unknown_and_changes_nothing(
    client, merchant, other_merchant, theirs
):
    before = client.get(f"/v1/members/{theirs['member_id']}", headers=merchant.auth("barista"))

    response = client.post(
        "/v1/scans", json={"barcode": theirs["barcode"]}, headers=other_merchant.auth("barista")
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_barcode"
    assert theirs["member_id"] not in response.text
    after = client.get(f"/v1/members/{theirs['member_id']}", headers=merchant.auth("barista"))
    assert after.json() == before.json()


def test_another_merchants_barcode_answers_exactly_as_a_forged_one(
    client, merchant, other_merchant, theirs
):
    code = theirs["barcode"]
    forged = code[:-2] + ("AA" if code[-2:] != "AA" else "BB")

    response = client.post(
        "/v1/scans", json={"barcode": code}, headers=other_merchant.auth("barista")
    )
    unknown = client.post(
        "/v1/scans", json={"barcode": forged}, headers=other_merchant.auth("barista")
    )

    assert unknown.status_code == 404
    assert_not_found_like_an_unknown_id(response, unknown)


# --- lists ---------------------------------------------------------------------


def test_the_program_list_shows_only_the_callers_programs(client, merchant, other_merchant):
    mine = {create_program(client, merchant)["program_id"] for _ in range(2)}
    other = create_program(client, other_merchant)["program_id"]

    listed = client.get("/v1/programs", headers=merchant.auth("manager"))
    theirs = client.get("/v1/programs", headers=other_merchant.auth("manager"))

    assert {p["program_id"] for p in listed.json()["items"]} == mine
    assert {p["program_id"] for p in theirs.json()["items"]} == {other}


def test_a_member_search_never_shows_another_merchants_member(client, merchant, other_merchant):
    email = new_email("shared")
    mine = enrol(client, create_program(client, merchant)["program_id"], email=email).json()
    other = enrol(client, create_program(client, other_merchant)["program_id"], email=email).json()

    found = client.get("/v1/members", params={"email": email}, headers=merchant.auth("barista"))
    found_by_other = client.get(
        "/v1/members", params={"email": email.upper()}, headers=other_merchant.auth("barista")
    )

    assert found.status_code == 200
    assert [m["member_id"] for m in found.json()["items"]] == [mine["member_id"]]
    assert [m["member_id"] for m in found_by_other.json()["items"]] == [other["member_id"]]


def test_a_member_search_for_only_another_merchants_member_is_empty(
    client, merchant, other_merchant
):
    email = new_email()
    enrol(client, create_program(client, merchant)["program_id"], email=email)

    response = client.get(
        "/v1/members", params={"email": email}, headers=other_merchant.auth("owner")
    )

    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


def test_the_staff_list_shows_only_the_callers_accounts(client, merchant, other_merchant):
    listed = client.get("/v1/staff", headers=other_merchant.auth("owner"))

    assert {s["staff_id"] for s in listed.json()["items"]} == set(other_merchant.staff_ids.values())


def test_another_merchants_staff_list_cursor_is_refused(client, merchant, other_merchant):
    cursor = client.get("/v1/staff", params={"limit": 1}, headers=merchant.auth("owner")).json()[
        "next_cursor"
    ]

    response = client.get(
        "/v1/staff", params={"cursor": cursor}, headers=other_merchant.auth("owner")
    )

    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "bad_request"


def test_a_program_list_cursor_is_refused_by_the_staff_list(client, merchant):
    for _ in range(2):
        create_program(client, merchant)
    cursor = client.get("/v1/programs", params={"limit": 1}, headers=merchant.auth("owner")).json()[
        "next_cursor"
    ]

    response = client.get("/v1/staff", params={"cursor": cursor}, headers=merchant.auth("owner"))

    assert response.status_code == 400, response.text


# GET /v1/programs hands any cursor the service signed to DynamoDB as its start
# key. Real DynamoDB refuses one outside the query (another merchant's: "outside
# query boundaries") or of another key schema (another list's: "The provided
# starting key is invalid") with a ValidationException, a 500 here; the embedded
# moto server answers 200 with an empty page instead. Either way, not a 400.
def test_a_staff_list_cursor_is_refused_by_the_program_list(client, merchant):
    cursor = client.get("/v1/staff", params={"limit": 1}, headers=merchant.auth("owner")).json()[
        "next_cursor"
    ]

    response = client.get("/v1/programs", params={"cursor": cursor}, headers=merchant.auth("owner"))

    assert response.status_code == 400, response.text


def test_another_merchants_program_list_cursor_is_refused(client, merchant, other_merchant):
    for _ in range(2):
        create_program(client, merchant)
    cursor = client.get("/v1/programs", params={"limit": 1}, headers=merchant.auth("owner")).json()[
        "next_cursor"
    ]

    response = client.get(
        "/v1/programs", params={"cursor": cursor}, headers=other_merchant.auth("owner")
    )

    assert response.status_code == 400, response.text
