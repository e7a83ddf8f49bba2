"""An owner sets up a program; a customer enrols; a barista scans the member."""

from __future__ import annotations

STAMP_CARD = {
    "name": "Coffee card",
    "kind": "stamps",
    "stamps": {"required": 10, "reward": {"name": "Free coffee"}},
    "design": {"background_color": "#3B2A20", "logo_text": "Test Café"},
}


def create_program(client, merchant, document=STAMP_CARD) -> dict:
    response = client.post("/v1/programs", json=document, headers=merchant.auth("owner"))
    assert response.status_code == 201, response.text
    return response.json()


def enrol(client, program_id, email="ada@example.com", **extra):
    body = {"name": "Ada", "email": email, "consent": {"terms": True}, **extra}
    return client.post(f"/v1/programs/{program_id}/enrollments", json=body)


def test_an_owner_creates_a_program_that_customers_can_read(client, merchant):
    program = create_program(client, merchant)

    public = client.get(f"/v1/programs/{program['program_id']}")

    assert public.status_code == 200
    assert public.json()["stamps"] == {"required": 10, "reward": {"name": "Free coffee"}}
    assert public.json()["design"]["logo_text"] == "Test Café"


def test_a_customer_enrols_and_the_barista_scans_their_barcode(client, merchant):
    program = create_program(client, merchant)

    enrolled = enrol(client, program["program_id"])
    scanned = client.post(
        "/v1/scans", json={"barcode": enrolled.json()["barcode"]}, headers=merchant.auth("barista")
    )

    assert enrolled.status_code == 201
    assert len(enrolled.json()["barcode"]) <= 64
    assert scanned.status_code == 200
    assert scanned.json()["member_id"] == enrolled.json()["member_id"]
    assert scanned.json()["name"] == "Ada"
    assert scanned.json()["balances"] == {"stamps": 0, "points": 0}


def test_enrolling_the_same_email_again_creates_no_second_member(client, merchant):
    program = create_program(client, merchant)

    first = enrol(client, program["program_id"], email="Grace@Example.com")
    again = enrol(client, program["program_id"], email="  grace@example.COM ")
    found = client.get(
        "/v1/members", params={"email": "grace@example.com"}, headers=merchant.auth("barista")
    )

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["status"] == "already_enrolled"
    assert [m["member_id"] for m in found.json()["items"]] == [first.json()["member_id"]]


def test_a_forged_barcode_is_unknown(client, merchant):
    program = create_program(client, merchant)
    code = enrol(client, program["program_id"]).json()["barcode"]
    forged = code[:-1] + ("A" if code[-1] != "A" else "B")

    response = client.post("/v1/scans", json={"barcode": forged}, headers=merchant.auth("barista"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_barcode"


def test_another_merchants_barcode_is_unknown(client, merchant, other_merchant):
    program = create_program(client, merchant)
    code = enrol(client, program["program_id"]).json()["barcode"]

    response = client.post(
        "/v1/scans", json={"barcode": code}, headers=other_merchant.auth("barista")
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_barcode"
