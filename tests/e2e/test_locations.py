"""A program's shops: on the pass, as staff accounts' locations, and in the statistics."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from urllib.parse import urlsplit

import pytest

from tests.e2e.helpers import (
    STAMP_CARD,
    create_program,
    enrol,
    key,
    location,
    program_with_locations,
    stamp,
)

BASTILLE = {
    "id": "bastille",
    "name": "Blue Bean Bastille",
    "latitude": 48.8532,
    "longitude": 2.3692,
    "relevant_text": "Blue Bean is around the corner",
}


def barista_at(client, merchant, location_id: str | None) -> dict[str, str]:
    """A new barista account working at `location_id`, signed in: its auth header."""
    made = client.post(
        "/v1/staff",
        json={
            "email": f"till-{uuid.uuid4().hex[:10]}@example.com",
            "name": "Till",
            "role": "barista",
            "location_id": location_id,
        },
        headers=merchant.auth("owner"),
    )
    assert made.status_code == 201, made.text
    signed_in = client.post(
        "/v1/auth/login", json={"email": made.json()["email"], "password": made.json()["password"]}
    )
    assert signed_in.status_code == 200, signed_in.text
    return {"Authorization": f"Bearer {signed_in.json()['token']}"}


def stats(client, merchant, program_id: str, **params) -> dict:
    response = client.get(
        f"/v1/programs/{program_id}/stats", params=params, headers=merchant.auth("manager")
    )
    assert response.status_code == 200, response.text
    return response.json()


def issued(report: dict) -> int:
    return sum(day["stamps_issued"] for day in report["days"])


def downloaded_pass(client, enrolment: dict) -> dict:
    url = urlsplit(enrolment["passes"]["apple_url"])
    response = client.get(f"{url.path}?{url.query}")
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return json.loads(archive.read("pass.json"))


# --- the program document --------------------------------------------------------


def test_locations_are_kept_with_an_id_made_from_the_name_when_none_is_given(client, merchant):
    unnamed = {"name": "Blue Bean Marais", "latitude": 48.859, "longitude": 2.362}

    program = create_program(client, merchant, {**STAMP_CARD, "locations": [BASTILLE, unnamed]})

    assert program["locations"] == [BASTILLE, {**unnamed, "id": "blue-bean-marais"}]
    public = client.get(f"/v1/programs/{program['program_id']}").json()
    assert [place["id"] for place in public["locations"]] == ["bastille", "blue-bean-marais"]


@pytest.mark.parametrize(
    ("locations", "field"),
    [
        pytest.param([{**BASTILLE, "latitude": 90.5}], "locations.0.latitude", id="latitude"),
        pytest.param([{**BASTILLE, "longitude": -181}], "locations.0.longitude", id="longitude"),
        pytest.param([{**BASTILLE, "latitude": "48.85"}], "locations.0.latitude", id="string"),
        pytest.param([BASTILLE, BASTILLE], "locations", id="same id twice"),
        pytest.param([{**BASTILLE, "id": "a b"}], "locations.0.id", id="id with a space"),
        pytest.param([location(f"shop-{n}") for n in range(11)], "locations", id="eleven"),
    ],
)
def test_a_location_out_of_range_is_refused_and_nothing_is_made(client, merchant, locations, field):
    response = client.post(
        "/v1/programs", json={**STAMP_CARD, "locations": locations}, headers=merchant.auth("owner")
    )

    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    listed = client.get("/v1/programs", headers=merchant.auth("owner")).json()
    assert listed["items"] == []


def test_the_apple_pass_carries_each_location_with_its_lock_screen_text(client, merchant):
    unnamed = {"id": "marais", "name": "Marais", "latitude": 48.859, "longitude": 2.362}
    program = create_program(client, merchant, {**STAMP_CARD, "locations": [BASTILLE, unnamed]})
    enrolment = enrol(client, program["program_id"])

    document = downloaded_pass(client, enrolment)

    assert document["locations"] == [
        {
            "latitude": 48.8532,
            "longitude": 2.3692,
            "relevantText": "Blue Bean is around the corner",
        },
        {
            "latitude": 48.859,
            "longitude": 2.362,
            "relevantText": "Coffee card: your card is ready at Marais",
        },
    ]


def test_adding_a_location_updates_every_pass_and_removing_them_all_leaves_none(client, merchant):
    program = create_program(client, merchant)
    enrolment = enrol(client, program["program_id"])
    assert "locations" not in downloaded_pass(client, enrolment)

    added = client.patch(
        f"/v1/programs/{program['program_id']}",
        json={"locations": [BASTILLE]},
        headers=merchant.auth("owner"),
    )
    assert added.status_code == 200, added.text
    assert added.json()["pass_updates"]["members"] == 1
    assert [p["latitude"] for p in downloaded_pass(client, enrolment)["locations"]] == [48.8532]

    removed = client.patch(
        f"/v1/programs/{program['program_id']}",
        json={"locations": []},
        headers=merchant.auth("owner"),
    )
    assert removed.status_code == 200, removed.text
    assert "locations" not in downloaded_pass(client, enrolment)


# --- staff accounts ------------------------------------------------------------------


def test_a_staff_account_works_at_a_location_of_one_of_the_merchants_programs(client, merchant):
    program_with_locations(client, merchant, "bastille")

    made = client.post(
        "/v1/staff",
        json={"email": f"s-{uuid.uuid4().hex[:8]}@example.com", "name": "Sam", "role": "barista"}
        | {"location_id": "bastille"},
        headers=merchant.auth("owner"),
    )

    assert made.status_code == 201, made.text
    assert made.json()["location_id"] == "bastille"


def test_a_location_no_program_has_is_refused_on_creation_and_on_change(
    client, merchant, other_merchant
):
    program_with_locations(client, merchant, "bastille")
    program_with_locations(client, other_merchant, "elsewhere")
    staff_before = client.get("/v1/staff", headers=merchant.auth("owner")).json()["items"]

    made = client.post(
        "/v1/staff",
        json={"email": f"s-{uuid.uuid4().hex[:8]}@example.com", "name": "Sam", "role": "barista"}
        | {"location_id": "elsewhere"},
        headers=merchant.auth("owner"),
    )
    moved = client.patch(
        f"/v1/staff/{merchant.staff_ids['barista']}",
        json={"location_id": "counter-9"},
        headers=merchant.auth("manager"),
    )

    assert made.status_code == 422, made.text
    assert made.json()["error"]["message"].startswith("location_id:")
    assert moved.status_code == 422, moved.text
    assert client.get("/v1/staff", headers=merchant.auth("owner")).json()["items"] == staff_before


def test_an_account_without_a_location_keeps_working(client, merchant):
    program = program_with_locations(client, merchant, "bastille")
    member = enrol(client, program["program_id"])

    response = stamp(client, merchant, member["member_id"])

    assert response.status_code == 200, response.text
    assert response.json()["transaction"]["location_id"] is None


# --- statistics per location ---------------------------------------------------------


def test_statistics_per_location_count_what_its_staff_did_and_the_totals_stay_whole(
    client, merchant
):
    program = program_with_locations(client, merchant, "bastille", "marais")
    pid = program["program_id"]
    bastille, marais = (
        barista_at(client, merchant, "bastille"),
        barista_at(client, merchant, "marais"),
    )
    member = enrol(client, pid)["member_id"]
    for headers, count in ((bastille, 2), (marais, 3), (merchant.auth("barista"), 4)):
        response = client.post(
            f"/v1/members/{member}/stamps",
            json={"count": count, "idempotency_key": key()},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["transaction"]["location_id"] in ("bastille", "marais", None)

    total = stats(client, merchant, pid)
    at_bastille = stats(client, merchant, pid, location_id="bastille")
    at_marais = stats(client, merchant, pid, location_id="marais")

    assert issued(total) == 9
    assert total["members"] == 1
    assert (issued(at_bastille), issued(at_marais)) == (2, 3)
    assert at_bastille["location_id"] == "bastille"
    assert at_bastille["members"] == 0  # enrolment is on the web page, at no shop
    assert [d["day"] for d in at_bastille["days"]] == [d["day"] for d in total["days"]]


def test_a_void_comes_off_the_location_of_what_it_reverses(client, merchant):
    program = program_with_locations(client, merchant, "bastille")
    pid = program["program_id"]
    member = enrol(client, pid)["member_id"]
    given = client.post(
        f"/v1/members/{member}/stamps",
        json={"count": 3, "idempotency_key": key()},
        headers=barista_at(client, merchant, "bastille"),
    )
    transaction_id = given.json()["transaction"]["transaction_id"]

    voided = client.post(
        f"/v1/transactions/{transaction_id}/void", json={}, headers=merchant.auth("manager")
    )

    assert voided.status_code == 200, voided.text
    assert issued(stats(client, merchant, pid, location_id="bastille")) == 0
    assert issued(stats(client, merchant, pid)) == 0


def test_statistics_of_a_location_the_program_does_not_have_are_refused(client, merchant):
    program = program_with_locations(client, merchant, "bastille")

    response = client.get(
        f"/v1/programs/{program['program_id']}/stats",
        params={"location_id": "marais"},
        headers=merchant.auth("manager"),
    )

    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith("location_id:")
