"""Baristas stamp, record purchases and redeem; managers void; retries change nothing."""

from __future__ import annotations

from tests.e2e.helpers import POINTS_CARD, create_program, enrol, key, ledger, stamp


def test_ten_stamps_fill_the_card_and_unlock_the_reward(client, merchant):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])

    response = stamp(client, merchant, member["member_id"], count=12)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["member"]["balances"]["stamps"] == 2
    assert [r["name"] for r in body["rewards_unlocked"]] == ["Free coffee"]
    assert body["member"]["rewards"][0]["reward_id"] == body["rewards_unlocked"][0]["reward_id"]
    assert body["transaction"]["type"] == "stamp"


def test_a_retried_stamp_with_the_same_key_changes_nothing(client, merchant):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    idem = key()

    first = stamp(client, merchant, member["member_id"], count=3, idem=idem)
    again = stamp(client, merchant, member["member_id"], count=3, idem=idem)

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.json()["member"]["balances"]["stamps"] == 3
    assert len(ledger(client, merchant, member["member_id"])) == 1


def test_the_same_key_with_another_body_is_refused(client, merchant):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    idem = key()
    stamp(client, merchant, member["member_id"], count=3, idem=idem)

    response = stamp(client, merchant, member["member_id"], count=4, idem=idem)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"


def test_a_purchase_earns_points_rounded_down(client, merchant):
    program = create_program(client, merchant, POINTS_CARD)
    member = enrol(client, program["program_id"])

    response = client.post(
        f"/v1/members/{member['member_id']}/purchases",
        json={"amount": {"amount": "4.99", "currency": "EUR"}, "idempotency_key": key()},
        headers=merchant.auth("barista"),
    )

    assert response.status_code == 200, response.text
    assert response.json()["member"]["balances"]["points"] == 4
    assert response.json()["transaction"]["points"] == 4


def test_redeeming_the_reward_removes_it_and_a_second_time_is_refused(client, merchant):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    reward = stamp(client, merchant, member["member_id"], count=10).json()["rewards_unlocked"][0]
    url = f"/v1/members/{member['member_id']}/redemptions"

    first = client.post(
        url,
        json={"reward_id": reward["reward_id"], "idempotency_key": key()},
        headers=merchant.auth("barista"),
    )
    second = client.post(
        url,
        json={"reward_id": reward["reward_id"], "idempotency_key": key()},
        headers=merchant.auth("barista"),
    )

    assert first.status_code == 200, first.text
    assert first.json()["member"]["rewards"] == []
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "reward_not_available"


def test_a_manager_voids_a_stamp_and_voiding_again_is_a_no_op(client, merchant):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    txn = stamp(client, merchant, member["member_id"], count=4).json()["transaction"]
    url = f"/v1/transactions/{txn['transaction_id']}/void"

    first = client.post(url, json={}, headers=merchant.auth("manager"))
    again = client.post(url, json={}, headers=merchant.auth("manager"))

    assert first.status_code == 200, first.text
    assert first.json()["member"]["balances"]["stamps"] == 0
    assert first.json()["transaction"]["stamps"] == -4
    assert again.status_code == 200
    assert (
        again.json()["transaction"]["transaction_id"]
        == first.json()["transaction"]["transaction_id"]
    )
    entries = ledger(client, merchant, member["member_id"])
    assert [e["type"] for e in entries] == ["void", "stamp"]
    assert entries[1]["voided"] is True


def test_a_barista_cannot_void(client, merchant):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])
    txn = stamp(client, merchant, member["member_id"], count=4).json()["transaction"]

    response = client.post(
        f"/v1/transactions/{txn['transaction_id']}/void", json={}, headers=merchant.auth("barista")
    )

    assert response.status_code == 403
