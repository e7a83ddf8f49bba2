"""GET /v1/programs/{id}/members: the owner console's export, paged, one merchant's only."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import create_program, enrol, stamp


def members_of(client, merchant, program_id: str, role: str = "manager", limit: int = 2):
    rows, cursor = [], None
    for _ in range(50):
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = client.get(
            f"/v1/programs/{program_id}/members", params=params, headers=merchant.auth(role)
        )
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) <= limit
        rows += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return rows
    raise AssertionError("the list never ended")


def test_the_list_pages_through_every_member_of_the_program(client, merchant):
    program = create_program(client, merchant)["program_id"]
    other = create_program(client, merchant)["program_id"]
    enrolled = {enrol(client, program, f"m{i}@example.com")["member_id"] for i in range(5)}
    enrol(client, other, "elsewhere@example.com")

    rows = members_of(client, merchant, program)

    assert sorted(r["member_id"] for r in rows) == sorted(enrolled)
    assert {r["email"] for r in rows} == {f"m{i}@example.com" for i in range(5)}
    assert all(r["program_id"] == program and r["created_at"] for r in rows)


def test_a_row_is_the_member_view_with_email_and_enrolment_time(client, merchant):
    program = create_program(client, merchant)["program_id"]
    member = enrol(client, program, "Row@Example.com", name="Rowan")
    assert stamp(client, merchant, member["member_id"], count=3).status_code == 200
    read = client.get(f"/v1/members/{member['member_id']}", headers=merchant.auth("barista"))

    [row] = members_of(client, merchant, program, role="owner")

    # The address as the member typed it (the validator lower-cases the domain only).
    assert row == {**read.json(), "email": "Row@example.com", "created_at": row["created_at"]}
    assert row["balances"] == {"stamps": 3, "points": 0}
    assert row["created_at"] <= row["updated_at"]


def test_erased_members_are_listed_without_personal_data(client, merchant):
    program = create_program(client, merchant)["program_id"]
    kept = enrol(client, program, "kept@example.com", name="Kept")
    gone = enrol(client, program, "gone@example.com", name="Gone")
    erased = client.delete(f"/v1/members/{gone['member_id']}", headers=merchant.auth("owner"))
    assert erased.status_code == 204

    rows = {r["member_id"]: r for r in members_of(client, merchant, program)}

    assert rows[kept["member_id"]]["email"] == "kept@example.com"
    assert rows[gone["member_id"]]["name"] is None
    assert rows[gone["member_id"]]["email"] is None
    assert "gone@example.com" not in str(rows)


def test_a_barista_cannot_list_members(client, merchant):
    program = create_program(client, merchant)["program_id"]

    response = client.get(f"/v1/programs/{program}/members", headers=merchant.auth("barista"))

    assert response.status_code == 403


def test_without_a_token_the_list_is_refused(client, merchant):
    program = create_program(client, merchant)["program_id"]

    assert client.get(f"/v1/programs/{program}/members").status_code == 401


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_another_merchants_program_is_not_found(client, merchant, other_merchant, role):
    program = create_program(client, merchant)["program_id"]
    enrol(client, program, "private@example.com")

    response = client.get(f"/v1/programs/{program}/members", headers=other_merchant.auth(role))

    assert response.status_code == 404
    assert "private@example.com" not in response.text


def test_an_unknown_program_is_not_found(client, merchant):
    response = client.get("/v1/programs/nope/members", headers=merchant.auth("owner"))

    assert response.status_code == 404


def test_a_cursor_of_another_program_is_refused(client, merchant):
    first = create_program(client, merchant)["program_id"]
    second = create_program(client, merchant)["program_id"]
    for program in (first, second):
        for _ in range(2):
            enrol(client, program)
    page = client.get(
        f"/v1/programs/{first}/members", params={"limit": 1}, headers=merchant.auth("owner")
    )
    cursor = page.json()["next_cursor"]
    assert cursor

    response = client.get(
        f"/v1/programs/{second}/members",
        params={"limit": 1, "cursor": cursor},
        headers=merchant.auth("owner"),
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_a_limit_out_of_range_is_refused(client, merchant, limit):
    program = create_program(client, merchant)["program_id"]

    response = client.get(
        f"/v1/programs/{program}/members", params={"limit": limit}, headers=merchant.auth("owner")
    )

    assert response.status_code == 422
