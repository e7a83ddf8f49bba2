"""A ledger entry says what the balance did and what was given: a full card is not "0 stamps"."""

from __future__ import annotations

import json

from chalicelib import ids
from chalicelib.store.models import TransactionItem
from tests.e2e.helpers import POINTS_CARD, create_program, enrol, ledger, stamp
from tests.e2e.ledger_helpers import points_card, purchase, redeem, void


def test_ten_stamps_on_a_ten_stamp_card_show_ten_given_and_the_reward_unlocked(client, merchant):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])

    response = stamp(client, merchant, member["member_id"], count=10)

    assert response.status_code == 200, response.text
    txn = response.json()["transaction"]
    assert (txn["stamps"], txn["stamps_added"]) == (0, 10)
    assert (txn["points"], txn["points_added"]) == (0, 0)
    assert [r["name"] for r in txn["rewards_unlocked"]] == ["Free coffee"]
    assert txn["breakdown"] == [{"source": "base", "stamps": 10, "points": 0}]
    [entry] = ledger(client, merchant, member["member_id"])
    assert entry == txn


def test_points_given_by_a_purchase_and_spent_on_an_item_are_told_apart(client, merchant):
    program = create_program(client, merchant, POINTS_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]

    bought = purchase(client, merchant, member_id, "60.00").json()["transaction"]
    spent = redeem(client, merchant, member_id, catalog_item_id="espresso").json()["transaction"]

    assert (bought["points"], bought["points_added"]) == (60, 60)
    assert (spent["points"], spent["points_added"]) == (-50, 0)
    assert spent["reward"]["name"] == "Espresso"
    assert spent["breakdown"] == []


def test_points_a_tier_adds_are_told_apart_from_the_base_rate(client, merchant):
    gold = points_card(tiers=[{"name": "Gold", "threshold": 0, "multiplier": "1.5"}])
    program = create_program(client, merchant, gold)
    member_id = enrol(client, program["program_id"])["member_id"]

    txn = purchase(client, merchant, member_id, "10.00").json()["transaction"]

    assert (txn["points"], txn["points_added"]) == (15, 15)
    assert txn["breakdown"] == [
        {"source": "base", "stamps": 0, "points": 10},
        {"source": "tier", "stamps": 0, "points": 5},
    ]


def test_a_void_gives_nothing_and_names_the_transaction_it_reverses(client, merchant):
    program = create_program(client, merchant)
    member_id = enrol(client, program["program_id"])["member_id"]
    original = stamp(client, merchant, member_id, count=10).json()["transaction"]

    response = void(client, merchant, original["transaction_id"])

    assert response.status_code == 200, response.text
    txn = response.json()["transaction"]
    assert (txn["type"], txn["stamps"], txn["stamps_added"], txn["points_added"]) == (
        "void",
        0,
        0,
        0,
    )
    assert txn["voids"] == original["transaction_id"]
    assert txn["rewards_unlocked"] == []
    assert txn["breakdown"] == []


def test_an_entry_written_before_the_issued_counts_still_renders(client, merchant):
    program = create_program(client, merchant, POINTS_CARD)
    member = enrol(client, program["program_id"])
    # As the ledger stored a purchase before it kept what was issued beside the delta.
    old = TransactionItem(
        member["member_id"],
        f"2026-01-02T10:00:00.000000Z#{ids.new_id()}",
        transaction_id=ids.new_id(),
        merchant_id=merchant.merchant_id,
        program_id=program["program_id"],
        type="purchase",
        stamps=0,
        points=12,
        earned=12,
        day="2026-01-02",
        created_at="2026-01-02T10:00:00.000000Z",
        staff_id=merchant.staff_ids["barista"],
        location_id="counter-1",
        voided=False,
        rewards_unlocked="[]",
        detail=json.dumps({"amount": "12.50", "currency": "EUR", "stats": {"points_issued": 12}}),
    )
    old.save()

    [entry] = ledger(client, merchant, member["member_id"])

    assert entry["transaction_id"] == old.transaction_id
    assert (entry["points"], entry["points_added"], entry["stamps_added"]) == (12, 12, 0)
    assert entry["breakdown"] == [{"source": "base", "stamps": 0, "points": 12}]
