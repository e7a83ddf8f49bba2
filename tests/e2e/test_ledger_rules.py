"""The program's rules as a till sees them: welcome gifts, reward validity, tiers,
scan limits, voids, the ledger's pages, the day's statistics and erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.helpers import STAMP_CARD, create_program, enrol, key, ledger, stamp
from tests.e2e.ledger_helpers import (
    BIG_CARD,
    card,
    member,
    paris_today,
    points_card,
    purchase,
    redeem,
    seconds_to_paris_midnight,
    snapshot,
    void,
)


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- welcome gifts and rewards -------------------------------------------------------


def test_welcome_stamps_are_on_the_card_and_in_the_ledger_at_enrolment(client, merchant):
    program = create_program(client, merchant, card(welcome={"stamps": 3}))

    enrolled = enrol(client, program["program_id"])

    assert enrolled["member"]["balances"] == {"stamps": 3, "points": 0}
    assert member(client, merchant, enrolled["member_id"])["balances"]["stamps"] == 3
    entries = ledger(client, merchant, enrolled["member_id"])
    assert [(e["type"], e["stamps"], e["points"]) for e in entries] == [("welcome", 3, 0)]


def test_welcome_points_are_in_the_balance_and_in_the_ledger_at_enrolment(client, merchant):
    program = create_program(client, merchant, points_card(welcome={"points": 25}))

    enrolled = enrol(client, program["program_id"])

    assert member(client, merchant, enrolled["member_id"])["balances"] == {
        "stamps": 0,
        "points": 25,
    }
    entries = ledger(client, merchant, enrolled["member_id"])
    assert [(e["type"], e["stamps"], e["points"]) for e in entries] == [("welcome", 0, 25)]


def test_enrolling_again_does_not_give_the_welcome_gift_twice(client, merchant):
    program = create_program(client, merchant, points_card(welcome={"points": 25}))
    email = f"{key()[:10]}@example.com"
    first = enrol(client, program["program_id"], email=email)

    again = enrol(client, program["program_id"], email=email)

    assert again["status"] == "already_enrolled"
    assert member(client, merchant, first["member_id"])["balances"]["points"] == 25
    assert len(ledger(client, merchant, first["member_id"])) == 1


def test_a_reward_expires_reward_valid_days_after_it_is_unlocked(client, merchant):
    program = create_program(client, merchant, card(reward_valid_days=30))
    member_id = enrol(client, program["program_id"])["member_id"]
    expected = datetime.now(UTC) + timedelta(days=30)

    response = stamp(client, merchant, member_id, count=10)

    assert response.status_code == 200, response.text
    reward = response.json()["rewards_unlocked"][0]
    assert abs(parse_time(reward["expires_at"]) - expected) < timedelta(minutes=5)
    assert member(client, merchant, member_id)["rewards"] == [reward]


def test_a_reward_of_a_program_without_validity_never_expires(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]

    response = stamp(client, merchant, member_id, count=10)

    assert response.json()["rewards_unlocked"][0]["expires_at"] is None


# --- tiers ---------------------------------------------------------------------------

TIERED = points_card(
    tiers=[
        {"name": "Bean", "threshold": 0, "multiplier": "1"},
        {"name": "Gold", "threshold": 100, "multiplier": "2"},
    ]
)


def test_reaching_the_gold_threshold_promotes_at_once_and_the_next_purchase_earns_double(
    client, merchant
):
    program = create_program(client, merchant, TIERED)
    member_id = enrol(client, program["program_id"])["member_id"]
    assert purchase(client, merchant, member_id, "60.00").json()["member"]["tier"] == "Bean"

    promoted = purchase(client, merchant, member_id, "40.00")
    doubled = purchase(client, merchant, member_id, "4.99")

    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["transaction"]["points"] == 40
    assert promoted.json()["member"]["tier"] == "Gold"
    assert doubled.json()["transaction"]["points"] == 9
    assert doubled.json()["member"]["balances"]["points"] == 109
    assert member(client, merchant, member_id)["tier"] == "Gold"


def test_a_new_member_is_in_the_tier_whose_threshold_is_zero(client, merchant):
    program = create_program(client, merchant, TIERED)

    enrolled = enrol(client, program["program_id"])

    assert enrolled["member"]["tier"] == "Bean"
    assert member(client, merchant, enrolled["member_id"])["tier"] == "Bean"


def test_voiding_the_purchase_that_promoted_a_member_demotes_them(client, merchant):
    program = create_program(client, merchant, TIERED)
    member_id = enrol(client, program["program_id"])["member_id"]
    promoting = purchase(client, merchant, member_id, "100.00").json()["transaction"]

    response = void(client, merchant, promoting["transaction_id"])

    assert response.status_code == 200, response.text
    assert response.json()["member"]["balances"]["points"] == 0
    assert response.json()["member"]["tier"] == "Bean"


# --- scan limits -----------------------------------------------------------------


def test_a_second_stamp_within_the_cooldown_is_refused_with_retry_after(client, merchant):
    program = create_program(client, merchant, card(limits={"cooldown_seconds": 60}))
    member_id = enrol(client, program["program_id"])["member_id"]
    assert stamp(client, merchant, member_id).status_code == 200
    before = snapshot(client, merchant, member_id)

    response = stamp(client, merchant, member_id)

    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "scan_limit"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert snapshot(client, merchant, member_id) == before


def test_the_cooldown_is_per_card(client, merchant):
    program = create_program(client, merchant, card(limits={"cooldown_seconds": 60}))
    first = enrol(client, program["program_id"])["member_id"]
    second = enrol(client, program["program_id"])["member_id"]
    assert stamp(client, merchant, first).status_code == 200

    response = stamp(client, merchant, second)

    assert response.status_code == 200, response.text


def test_a_third_scan_in_a_day_over_max_per_day_two_is_refused(client, merchant):
    program = create_program(client, merchant, card(limits={"max_per_day": 2}))
    member_id = enrol(client, program["program_id"])["member_id"]
    assert stamp(client, merchant, member_id).status_code == 200
    assert stamp(client, merchant, member_id).status_code == 200
    before = snapshot(client, merchant, member_id)

    response = stamp(client, merchant, member_id)

    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "scan_limit"
    assert int(response.headers["Retry-After"]) >= 1
    assert snapshot(client, merchant, member_id) == before


def test_the_daily_limits_retry_after_ends_at_the_merchants_midnight(client, merchant):
    program = create_program(client, merchant, card(limits={"max_per_day": 1}))
    member_id = enrol(client, program["program_id"])["member_id"]
    assert stamp(client, merchant, member_id).status_code == 200

    response = stamp(client, merchant, member_id)

    assert response.status_code == 429, response.text
    remaining = seconds_to_paris_midnight()
    assert remaining - 60 <= int(response.headers["Retry-After"]) <= remaining + 60


# --- voids ---------------------------------------------------------------------------


def test_voiding_a_stamp_that_unlocked_a_reward_takes_the_reward_back(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]
    assert stamp(client, merchant, member_id, count=4).status_code == 200
    unlocking = stamp(client, merchant, member_id, count=8).json()
    assert unlocking["member"]["balances"]["stamps"] == 2

    response = void(client, merchant, unlocking["transaction"]["transaction_id"])

    assert response.status_code == 200, response.text
    assert response.json()["member"]["balances"]["stamps"] == 4
    assert response.json()["member"]["rewards"] == []
    assert response.json()["transaction"]["stamps"] == 2
    assert member(client, merchant, member_id)["rewards"] == []


def test_voiding_a_stamp_whose_reward_was_redeemed_is_refused_and_changes_nothing(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]
    unlocking = stamp(client, merchant, member_id, count=10).json()
    reward_id = unlocking["rewards_unlocked"][0]["reward_id"]
    assert redeem(client, merchant, member_id, reward_id=reward_id).status_code == 200
    before = snapshot(client, merchant, member_id)

    response = void(client, merchant, unlocking["transaction"]["transaction_id"])

    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "reward_already_redeemed"
    assert snapshot(client, merchant, member_id) == before


def test_voiding_a_redemption_gives_the_reward_back(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]
    reward = stamp(client, merchant, member_id, count=10).json()["rewards_unlocked"][0]
    redemption = redeem(client, merchant, member_id, reward_id=reward["reward_id"]).json()

    response = void(client, merchant, redemption["transaction"]["transaction_id"])

    assert response.status_code == 200, response.text
    assert [r["reward_id"] for r in response.json()["member"]["rewards"]] == [reward["reward_id"]]
    again = redeem(client, merchant, member_id, reward_id=reward["reward_id"])
    assert again.status_code == 200, again.text


def test_voiding_a_catalog_redemption_gives_the_points_back(client, merchant):
    program = create_program(client, merchant, points_card())
    member_id = enrol(client, program["program_id"])["member_id"]
    assert purchase(client, merchant, member_id, "70.00").status_code == 200
    redemption = redeem(client, merchant, member_id, catalog_item_id="espresso").json()
    assert redemption["member"]["balances"]["points"] == 20

    response = void(client, merchant, redemption["transaction"]["transaction_id"])

    assert response.status_code == 200, response.text
    assert response.json()["member"]["balances"]["points"] == 70
    assert response.json()["transaction"]["points"] == 50


def test_voiding_a_purchase_takes_its_points_back(client, merchant):
    program = create_program(client, merchant, points_card())
    member_id = enrol(client, program["program_id"])["member_id"]
    assert purchase(client, merchant, member_id, "5.00").status_code == 200
    bought = purchase(client, merchant, member_id, "12.80").json()["transaction"]

    response = void(client, merchant, bought["transaction_id"])

    assert response.status_code == 200, response.text
    assert response.json()["transaction"]["type"] == "void"
    assert response.json()["transaction"]["points"] == -12
    assert response.json()["member"]["balances"]["points"] == 5
    entries = ledger(client, merchant, member_id)
    assert sum(e["points"] for e in entries) == 5
    assert next(e for e in entries if e["transaction_id"] == bought["transaction_id"])["voided"]


def test_voiding_a_purchase_whose_points_were_spent_is_refused(client, merchant):
    program = create_program(client, merchant, points_card())
    member_id = enrol(client, program["program_id"])["member_id"]
    bought = purchase(client, merchant, member_id, "50.00").json()["transaction"]
    assert redeem(client, merchant, member_id, catalog_item_id="espresso").status_code == 200
    before = snapshot(client, merchant, member_id)

    response = void(client, merchant, bought["transaction_id"])

    assert response.status_code == 409, response.text
    assert snapshot(client, merchant, member_id) == before


def test_voiding_a_void_is_refused_and_changes_nothing(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]
    stamped = stamp(client, merchant, member_id, count=4).json()["transaction"]
    the_void = void(client, merchant, stamped["transaction_id"]).json()["transaction"]
    before = snapshot(client, merchant, member_id)

    response = void(client, merchant, the_void["transaction_id"])

    assert 400 <= response.status_code < 500, response.text
    assert snapshot(client, merchant, member_id) == before


def test_voiding_an_unknown_transaction_is_not_found(client, merchant):
    response = void(client, merchant, "AAAAAAAAAAAAAAAAAAAAAA")

    assert response.status_code == 404, response.text


# --- the ledger's pages ------------------------------------------------------------


def test_the_ledger_pages_newest_first_two_at_a_time(client, merchant):
    program = create_program(client, merchant, BIG_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]
    for count in range(1, 6):
        assert stamp(client, merchant, member_id, count=count).status_code == 200
    url = f"/v1/members/{member_id}/transactions"

    pages, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = client.get(url, params=params, headers=merchant.auth("barista"))
        assert response.status_code == 200, response.text
        pages.append([e["stamps"] for e in response.json()["items"]])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break

    assert pages == [[5, 4], [3, 2], [1]]
    created = [e["created_at"] for e in ledger(client, merchant, member_id)]
    assert created == sorted(created, reverse=True)


def test_a_forged_ledger_cursor_is_refused(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]

    response = client.get(
        f"/v1/members/{member_id}/transactions",
        params={"cursor": "bm90LWEtY3Vyc29y"},
        headers=merchant.auth("barista"),
    )

    assert response.status_code == 400, response.text


# --- the day's statistics ----------------------------------------------------------


def test_todays_statistics_count_what_the_tills_did(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    program_id = program["program_id"]
    ada = enrol(client, program_id)["member_id"]
    bob = enrol(client, program_id)["member_id"]
    reward = stamp(client, merchant, ada, count=12).json()["rewards_unlocked"][0]
    assert stamp(client, merchant, bob, count=3).status_code == 200
    assert redeem(client, merchant, ada, reward_id=reward["reward_id"]).status_code == 200
    today = paris_today()

    response = client.get(
        f"/v1/programs/{program_id}/stats",
        params={"from": today, "to": today},
        headers=merchant.auth("manager"),
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["members"] == 2
    [day] = body["days"]
    assert day["day"] == today
    assert day["enrolments"] == 2
    assert day["active_members"] == 2
    assert day["stamps_issued"] == 15
    assert day["rewards_unlocked"] == 1
    assert day["rewards_redeemed"] == 1
    assert day["stamps_redeemed"] == 10


def test_a_voided_stamp_leaves_todays_statistics(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]
    assert stamp(client, merchant, member_id, count=2).status_code == 200
    voided = stamp(client, merchant, member_id, count=10).json()["transaction"]
    assert void(client, merchant, voided["transaction_id"]).status_code == 200
    today = paris_today()

    response = client.get(
        f"/v1/programs/{program['program_id']}/stats",
        params={"from": today, "to": today},
        headers=merchant.auth("manager"),
    )

    [day] = response.json()["days"]
    assert day["stamps_issued"] == 2
    assert day["rewards_unlocked"] == 0


def test_a_barista_cannot_read_the_statistics(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    today = paris_today()

    response = client.get(
        f"/v1/programs/{program['program_id']}/stats",
        params={"from": today, "to": today},
        headers=merchant.auth("barista"),
    )

    assert response.status_code == 403, response.text


# --- erasure -------------------------------------------------------------------------


def test_erasing_a_member_removes_them_but_keeps_the_ledger(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    email = f"erase-{key()[:10]}@example.com"
    enrolled = enrol(client, program["program_id"], email=email)
    member_id = enrolled["member_id"]
    assert stamp(client, merchant, member_id, count=3).status_code == 200
    entries = ledger(client, merchant, member_id)

    response = client.delete(f"/v1/members/{member_id}", headers=merchant.auth("owner"))

    assert response.status_code == 204, response.text
    gone = client.get(f"/v1/members/{member_id}", headers=merchant.auth("barista"))
    assert gone.status_code == 404
    scanned = client.post(
        "/v1/scans", json={"barcode": enrolled["barcode"]}, headers=merchant.auth("barista")
    )
    assert scanned.status_code == 404, scanned.text
    assert scanned.json()["error"]["code"] == "unknown_barcode"
    found = client.get("/v1/members", params={"email": email}, headers=merchant.auth("barista"))
    assert found.json()["items"] == []
    assert ledger(client, merchant, member_id) == entries


def test_an_erased_members_email_enrols_again_as_a_new_member(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    email = f"erase-{key()[:10]}@example.com"
    erased = enrol(client, program["program_id"], email=email)["member_id"]
    assert client.delete(f"/v1/members/{erased}", headers=merchant.auth("owner")).status_code == 204

    response = client.post(
        f"/v1/programs/{program['program_id']}/enrollments",
        json={"name": "Ada", "email": email, "consent": {"terms": True}},
    )

    assert response.status_code == 201, response.text
    renewed = response.json()["member_id"]
    assert renewed != erased
    found = client.get("/v1/members", params={"email": email}, headers=merchant.auth("barista"))
    assert [m["member_id"] for m in found.json()["items"]] == [renewed]


def test_an_erased_member_cannot_be_stamped(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]
    assert (
        client.delete(f"/v1/members/{member_id}", headers=merchant.auth("owner")).status_code == 204
    )

    response = stamp(client, merchant, member_id)

    assert response.status_code == 404, response.text
    assert ledger(client, merchant, member_id) == []


def test_a_manager_cannot_erase_a_member(client, merchant):
    program = create_program(client, merchant, STAMP_CARD)
    member_id = enrol(client, program["program_id"])["member_id"]

    response = client.delete(f"/v1/members/{member_id}", headers=merchant.auth("manager"))

    assert response.status_code == 403, response.text
    assert member(client, merchant, member_id)["name"] == "Ada"
