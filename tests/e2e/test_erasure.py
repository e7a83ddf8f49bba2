"""Erasure leaves no personal data behind: not in reads, not in replayed answers."""

from __future__ import annotations

from tests.e2e.helpers import STAMP_CARD, create_program, enrol, key, stamp
from tests.e2e.ledger_helpers import void


def erase(client, merchant, member_id: str) -> None:
    response = client.delete(f"/v1/members/{member_id}", headers=merchant.auth("owner"))
    assert response.status_code == 204, response.text


def test_a_replay_after_erasure_is_not_found_and_shows_no_name(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"], name="Ada Lovelace")["member_id"]
    idem = key()
    first = stamp(client, merchant, member_id, count=2, idem=idem)
    erase(client, merchant, member_id)

    replay = stamp(client, merchant, member_id, count=2, idem=idem)

    assert first.json()["member"]["name"] == "Ada Lovelace"
    assert replay.status_code == 404
    assert replay.json()["error"]["code"] == "not_found"
    assert "Lovelace" not in replay.text


def test_the_stored_answer_of_a_balance_change_holds_no_name(client, merchant):
    from chalicelib.store.models import IdempotencyItem

    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"], name="Grace Hopper")["member_id"]
    idem = key()

    first = stamp(client, merchant, member_id, count=1, idem=idem)

    record = IdempotencyItem.get(f"{merchant.merchant_id}#{idem}", consistent_read=True)
    assert first.status_code == 200
    assert "Hopper" not in record.response


def test_a_replay_before_erasure_answers_as_the_first_time(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"], name="Ada Lovelace")["member_id"]
    idem = key()
    first = stamp(client, merchant, member_id, count=2, idem=idem)
    stamp(client, merchant, member_id, count=1)

    replay = stamp(client, merchant, member_id, count=2, idem=idem)

    assert replay.status_code == 200
    assert replay.json() == first.json()


def test_an_erased_member_is_not_found(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"], name="Ada Lovelace")["member_id"]
    erase(client, merchant, member_id)

    response = client.get(f"/v1/members/{member_id}", headers=merchant.auth("owner"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_erasing_twice_is_still_done(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]
    erase(client, merchant, member_id)

    again = client.delete(f"/v1/members/{member_id}", headers=merchant.auth("owner"))

    assert again.status_code == 204


def test_voiding_again_after_erasure_is_not_found_and_shows_no_name(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"], name="Ada Lovelace")["member_id"]
    transaction_id = stamp(client, merchant, member_id, count=2).json()["transaction"][
        "transaction_id"
    ]
    assert void(client, merchant, transaction_id).status_code == 200
    erase(client, merchant, member_id)

    again = void(client, merchant, transaction_id)

    assert again.status_code == 404
    assert "Lovelace" not in again.text
