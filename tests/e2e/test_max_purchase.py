"""A purchase above the program's `points.max_purchase` is a manager's to record."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import create_program, enrol, key, ledger
from tests.e2e.ledger_helpers import JPY_CARD, points_card


def buy(client, merchant, member_id: str, amount: str, role="barista", currency="EUR", idem=None):
    return client.post(
        f"/v1/members/{member_id}/purchases",
        json={"amount": {"amount": amount, "currency": currency}, "idempotency_key": idem or key()},
        headers=merchant.auth(role),
    )


@pytest.fixture
def member(client, merchant) -> str:
    program = create_program(client, merchant, points_card())
    return enrol(client, program["program_id"])["member_id"]


def test_a_barista_records_a_purchase_up_to_the_default_of_200_euros(client, merchant, member):
    response = buy(client, merchant, member, "200.00")

    assert response.status_code == 200, response.text
    assert response.json()["member"]["balances"]["points"] == 200


def test_a_barista_s_purchase_above_it_asks_for_a_manager_and_writes_nothing(
    client, merchant, member
):
    response = buy(client, merchant, member, "200.01")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "manager_required"
    assert "manager" in response.json()["error"]["message"]
    assert ledger(client, merchant, member) == []


@pytest.mark.parametrize("role", ["manager", "owner"])
def test_a_manager_or_owner_records_it(client, merchant, member, role):
    response = buy(client, merchant, member, "450", role=role)

    assert response.status_code == 200, response.text
    assert response.json()["transaction"]["staff_id"] == merchant.staff_ids[role]
    assert response.json()["member"]["balances"]["points"] == 450


def test_the_manager_sends_the_refused_purchase_again_with_its_key(client, merchant, member):
    idem = key()
    refused = buy(client, merchant, member, "300", idem=idem)

    approved = buy(client, merchant, member, "300", role="manager", idem=idem)
    replayed = buy(client, merchant, member, "300", role="manager", idem=idem)

    assert refused.status_code == 403
    assert approved.status_code == 200, approved.text
    assert replayed.json() == approved.json()
    assert [t["points"] for t in ledger(client, merchant, member)] == [300]


def test_the_program_sets_its_own_limit(client, merchant):
    program = create_program(
        client, merchant, points_card(points={**points_card()["points"], "max_purchase": "50"})
    )
    member = enrol(client, program["program_id"])["member_id"]

    assert buy(client, merchant, member, "50").status_code == 200
    assert buy(client, merchant, member, "50.50").json()["error"]["code"] == "manager_required"
    assert program["points"]["max_purchase"] == "50"


def test_yen_have_a_limit_in_yen_not_200_of_them(client, merchant):
    program = create_program(client, merchant, JPY_CARD)
    member = enrol(client, program["program_id"])["member_id"]

    lunch = buy(client, merchant, member, "4500", currency="JPY")
    party = buy(client, merchant, member, "30001", currency="JPY")

    assert lunch.status_code == 200, lunch.text
    assert party.status_code == 403


@pytest.mark.parametrize("limit", ["0", "-5", "1e3", 50])
def test_a_limit_that_is_not_a_positive_decimal_string_is_refused(client, merchant, limit):
    document = points_card(points={**points_card()["points"], "max_purchase": limit})

    response = client.post("/v1/programs", json=document, headers=merchant.auth("owner"))

    assert response.status_code == 422
    assert response.json()["error"]["field"].startswith("points")
