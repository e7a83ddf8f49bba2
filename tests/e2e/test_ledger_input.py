"""Bad input to a balance change is a 4xx and writes nothing.

Each refusal is checked against the card before and after (balances, rewards, the
ledger), and its idempotency key is then used for a good request: a refused request
must not have claimed the key either.
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import (
    POINTS_CARD,
    STAMP_CARD,
    create_program,
    enrol,
    key,
    ledger,
    stamp,
)
from tests.e2e.ledger_helpers import (
    JPY_CARD,
    member,
    purchase,
    redeem,
    snapshot,
)

# --- arrangements ----------------------------------------------------------------


@pytest.fixture
def stamped(client, merchant):
    """A member of a ten-stamp card with three stamps and one reward ready."""
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]
    assert stamp(client, merchant, member_id, count=13).status_code == 200
    return member_id


@pytest.fixture
def earned(client, merchant):
    """A member of a one-point-per-euro program with 20 points."""
    program = create_program(client, merchant, POINTS_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]
    assert purchase(client, merchant, member_id, "20.00").status_code == 200
    return member_id


def assert_refused(response) -> None:
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["code"]
    assert response.json()["error"]["message"]


def post(client, merchant, member_id: str, what: str, body: dict):
    return client.post(
        f"/v1/members/{member_id}/{what}", json=body, headers=merchant.auth("barista")
    )


# --- stamps --------------------------------------------------------------------------

BAD_COUNTS = {
    "zero": 0,
    "negative": -1,
    "a fraction": 1.5,
    "a string": "1",
    "a boolean": True,
    "over five cards of ten": 51,
    "a billion": 10**9,
    "null": None,
}


@pytest.mark.parametrize("count", BAD_COUNTS.values(), ids=BAD_COUNTS.keys())
def test_a_bad_stamp_count_is_refused_and_writes_nothing(client, merchant, stamped, count):
    before = snapshot(client, merchant, stamped)
    idem = key()

    response = post(client, merchant, stamped, "stamps", {"count": count, "idempotency_key": idem})

    assert response.status_code in (400, 422), response.text
    assert_refused(response)
    assert snapshot(client, merchant, stamped) == before
    assert stamp(client, merchant, stamped, count=1, idem=idem).status_code == 200


def test_fifty_stamps_on_a_ten_stamp_card_are_allowed_as_five_cards(client, merchant, stamped):
    response = stamp(client, merchant, stamped, count=50)

    assert response.status_code == 200, response.text
    assert len(response.json()["rewards_unlocked"]) == 5
    assert response.json()["member"]["balances"]["stamps"] == 3


BAD_KEYS = {
    "129 characters": "k" * 129,
    "a trailing newline": "till-1-key\n",
    "a newline inside": "till-1\nkey",
    "a tab": "till-1\tkey",
    "empty": "",
    "a number": 12345,
    "null": None,
}


@pytest.mark.parametrize("idem", BAD_KEYS.values(), ids=BAD_KEYS.keys())
def test_a_bad_idempotency_key_is_refused_and_writes_nothing(client, merchant, stamped, idem):
    before = snapshot(client, merchant, stamped)

    response = post(client, merchant, stamped, "stamps", {"count": 1, "idempotency_key": idem})

    assert response.status_code in (400, 422), response.text
    assert_refused(response)
    assert snapshot(client, merchant, stamped) == before


def test_a_stamp_without_an_idempotency_key_is_refused_and_writes_nothing(
    client, merchant, stamped
):
    before = snapshot(client, merchant, stamped)

    response = post(client, merchant, stamped, "stamps", {"count": 1})

    assert response.status_code in (400, 422), response.text
    assert_refused(response)
    assert snapshot(client, merchant, stamped) == before


def test_a_key_of_128_printable_characters_is_accepted(client, merchant, stamped):
    idem = "~ !" + key() + "k" * 93
    assert len(idem) == 128

    response = stamp(client, merchant, stamped, count=1, idem=idem)

    assert response.status_code == 200, response.text


def test_stamps_on_a_points_program_are_refused_and_write_nothing(client, merchant, earned):
    before = snapshot(client, merchant, earned)
    idem = key()

    response = post(client, merchant, earned, "stamps", {"count": 1, "idempotency_key": idem})

    assert response.status_code == 422, response.text
    assert_refused(response)
    assert snapshot(client, merchant, earned) == before
    assert purchase(client, merchant, earned, "1.00", idem=idem).status_code == 200


# --- purchases -------------------------------------------------------------------

BAD_AMOUNTS = {
    "letters": {"amount": "abc", "currency": "EUR"},
    "NaN": {"amount": "NaN", "currency": "EUR"},
    "Infinity": {"amount": "Infinity", "currency": "EUR"},
    "negative": {"amount": "-1", "currency": "EUR"},
    "zero": {"amount": "0", "currency": "EUR"},
    "zero with cents": {"amount": "0.00", "currency": "EUR"},
    "an exponent": {"amount": "1e30", "currency": "EUR"},
    "a capital exponent": {"amount": "1E2", "currency": "EUR"},
    "three decimals for EUR": {"amount": "4.999", "currency": "EUR"},
    "over the maximum": {"amount": "100000.01", "currency": "EUR"},
    "an underscore": {"amount": "1_000", "currency": "EUR"},
    "Arabic-Indic digits": {"amount": "\u0664.\u0665\u0660", "currency": "EUR"},
    "empty": {"amount": "", "currency": "EUR"},
    "another currency": {"amount": "4.50", "currency": "USD"},
    "a lowercase currency": {"amount": "4.50", "currency": "eur"},
    "a JSON float": {"amount": 4.5, "currency": "EUR"},
    "no currency": {"amount": "4.50"},
    "no amount": {"currency": "EUR"},
    "a bare string": "4.50",
}


@pytest.mark.parametrize("amount", BAD_AMOUNTS.values(), ids=BAD_AMOUNTS.keys())
def test_a_bad_purchase_amount_is_refused_and_writes_nothing(client, merchant, earned, amount):
    before = snapshot(client, merchant, earned)
    idem = key()

    response = post(
        client, merchant, earned, "purchases", {"amount": amount, "idempotency_key": idem}
    )

    assert response.status_code in (400, 422), response.text
    assert_refused(response)
    assert snapshot(client, merchant, earned) == before
    assert purchase(client, merchant, earned, "1.00", idem=idem).status_code == 200


def test_the_largest_purchase_is_accepted_from_a_manager(client, merchant, earned):
    response = purchase(client, merchant, earned, "100000.00", role="manager")

    assert response.status_code == 200, response.text
    assert response.json()["member"]["balances"]["points"] == 100_020


def test_a_purchase_with_yen_decimals_is_refused_on_a_yen_program(client, merchant):
    program = create_program(client, merchant, JPY_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]
    before = snapshot(client, merchant, member_id)

    response = purchase(client, merchant, member_id, "100.5", currency="JPY")

    assert response.status_code == 422, response.text
    assert_refused(response)
    assert snapshot(client, merchant, member_id) == before


def test_a_whole_yen_purchase_earns_on_a_yen_program(client, merchant):
    program = create_program(client, merchant, JPY_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]

    response = purchase(client, merchant, member_id, "480", currency="JPY")

    assert response.status_code == 200, response.text
    assert response.json()["member"]["balances"]["points"] == 480


def test_a_purchase_on_a_stamp_program_adds_exactly_one_stamp(client, merchant, stamped):
    before = member(client, merchant, stamped)["balances"]["stamps"]

    response = purchase(client, merchant, stamped, "23.40")

    assert response.status_code == 200, response.text
    assert response.json()["transaction"]["type"] == "purchase"
    assert response.json()["transaction"]["stamps"] == 1
    assert response.json()["transaction"]["points"] == 0
    assert response.json()["member"]["balances"]["stamps"] == before + 1
    assert ledger(client, merchant, stamped)[0]["type"] == "purchase"


# --- redemptions ---------------------------------------------------------------


def test_a_redemption_naming_neither_reward_nor_item_is_refused(client, merchant, stamped):
    before = snapshot(client, merchant, stamped)

    response = redeem(client, merchant, stamped)

    assert response.status_code in (400, 422), response.text
    assert_refused(response)
    assert snapshot(client, merchant, stamped) == before


def test_a_redemption_naming_both_reward_and_item_is_refused(client, merchant, stamped):
    reward_id = member(client, merchant, stamped)["rewards"][0]["reward_id"]
    before = snapshot(client, merchant, stamped)

    response = redeem(client, merchant, stamped, reward_id=reward_id, catalog_item_id="espresso")

    assert response.status_code in (400, 422), response.text
    assert_refused(response)
    assert snapshot(client, merchant, stamped) == before


def test_redeeming_an_unknown_reward_is_refused_as_not_available(client, merchant, stamped):
    before = snapshot(client, merchant, stamped)
    idem = key()

    response = redeem(client, merchant, stamped, idem=idem, reward_id="no-such-reward")

    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "reward_not_available"
    assert snapshot(client, merchant, stamped) == before
    assert stamp(client, merchant, stamped, idem=idem).status_code == 200


def test_redeeming_an_item_dearer_than_the_balance_is_refused(client, merchant, earned):
    before = snapshot(client, merchant, earned)
    idem = key()

    response = redeem(client, merchant, earned, idem=idem, catalog_item_id="espresso")

    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "insufficient_balance"
    assert snapshot(client, merchant, earned) == before
    assert purchase(client, merchant, earned, "1.00", idem=idem).status_code == 200


def test_redeeming_an_unknown_catalog_item_is_refused(client, merchant, earned):
    assert purchase(client, merchant, earned, "60.00").status_code == 200
    before = snapshot(client, merchant, earned)

    response = redeem(client, merchant, earned, catalog_item_id="caviar")

    assert_refused(response)
    assert snapshot(client, merchant, earned) == before


def test_a_redemption_with_a_stray_field_is_refused(client, merchant, earned):
    before = snapshot(client, merchant, earned)

    response = redeem(client, merchant, earned, catalog_item_id="espresso", points=-1000)

    assert response.status_code in (400, 422), response.text
    assert snapshot(client, merchant, earned) == before
