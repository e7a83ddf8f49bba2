"""The ledger's rules (chalicelib/domain/ledger.py), one example per rule.

Each test builds a card and a program, applies one rule at a fixed moment, and
checks what it did: balances, the Outcome's deltas, rewards, tiers and refusals.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain import ledger
from chalicelib.domain.ledger import Card, Moment, Original, Outcome, Reward
from chalicelib.domain.program import Program
from chalicelib.errors import (
    Conflict,
    InsufficientBalance,
    Invalid,
    RewardAlreadyRedeemed,
    RewardNotAvailable,
    ScanLimit,
)

NOON = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)


def at(when: datetime) -> Moment:
    """A moment for a merchant in UTC: the local day is the UTC day."""
    return Moment(now=when, today=when.date())


def ids():
    """Reward ids handed out in order: r1, r2, ..."""
    counter = itertools.count(1)
    return lambda: f"r{next(counter)}"


def stamp_program(**changes: object) -> Program:
    document = {
        "name": "Coffee card",
        "kind": "stamps",
        "stamps": {"required": 10, "reward": {"name": "Free coffee"}},
        **changes,
    }
    return Program.model_validate(document)


def points_program(**changes: object) -> Program:
    document = {
        "name": "Bean points",
        "kind": "points",
        "points": {
            "per_unit": "1",
            "currency": "EUR",
            "catalog": [
                {"id": "espresso", "name": "Espresso", "cost": 50},
                {"id": "beans", "name": "Beans 250 g", "cost": 400},
            ],
        },
        **changes,
    }
    return Program.model_validate(document)


def original_of(type_: str, outcome: Outcome, moment: Moment) -> Original:
    """What the service keeps of a ledger entry for a later void."""
    return Original(
        type=type_,
        stamps=outcome.stamps,
        points=outcome.points,
        earned=outcome.earned,
        day=moment.today.isoformat(),
        rewards_unlocked=outcome.rewards_unlocked,
        reward_spent=outcome.reward_spent,
        stamps_added=outcome.stamps_added,
    )


def buy(card: Card, program: Program, amount: str, moment: Moment | None = None) -> Outcome:
    moment = moment or at(NOON)
    return ledger.purchase(card, program, Decimal(amount), "EUR", "t", ids(), moment)


# --- stamps and cards ------------------------------------------------------------


def test_stamps_below_the_required_count_add_to_the_card():
    card = Card(stamps=3)

    outcome = ledger.stamp(card, stamp_program(), 4, "t1", ids(), at(NOON))

    assert outcome.card.stamps == 7
    assert outcome.stamps == 4
    assert outcome.rewards_unlocked == ()


def test_completing_the_card_unlocks_the_reward_and_starts_a_new_card():
    card = Card(stamps=9)

    outcome = ledger.stamp(card, stamp_program(), 1, "t1", ids(), at(NOON))

    assert outcome.card.stamps == 0
    assert [r.name for r in outcome.card.rewards] == ["Free coffee"]
    assert outcome.rewards_unlocked == outcome.card.rewards


def test_stamps_beyond_a_full_card_carry_over_to_the_next_card():
    card = Card(stamps=8)

    outcome = ledger.stamp(card, stamp_program(), 5, "t1", ids(), at(NOON))

    assert outcome.card.stamps == 3
    assert len(outcome.rewards_unlocked) == 1


def test_stamps_filling_several_cards_at_once_unlock_one_reward_each():
    card = Card(stamps=7)

    outcome = ledger.stamp(card, stamp_program(), 25, "t1", ids(), at(NOON))

    assert outcome.card.stamps == 2
    assert [r.reward_id for r in outcome.rewards_unlocked] == ["r1", "r2", "r3"]
    assert {r.transaction_id for r in outcome.rewards_unlocked} == {"t1"}


def test_the_stamps_delta_is_the_change_of_the_balance_when_the_card_starts_again():
    card = Card(stamps=8)

    outcome = ledger.stamp(card, stamp_program(), 3, "t1", ids(), at(NOON))

    assert outcome.stamps == outcome.card.stamps - card.stamps == -7
    assert outcome.stamps_added == 3
    assert outcome.earned == 3


def test_five_full_cards_at_once_are_accepted():
    program = stamp_program()

    outcome = ledger.stamp(Card(), program, 50, "t1", ids(), at(NOON))

    assert outcome.card.stamps == 0
    assert len(outcome.rewards_unlocked) == 5


@pytest.mark.parametrize("count", [0, -1, 51])
def test_a_stamp_count_outside_one_to_five_cards_is_refused(count):
    program = stamp_program()

    with pytest.raises(Invalid) as refusal:
        ledger.stamp(Card(), program, count, "t1", ids(), at(NOON))

    assert refusal.value.field == "count"


def test_a_purchase_on_a_stamps_program_adds_one_stamp_for_the_visit():
    card = Card(stamps=9)

    outcome = buy(card, stamp_program(), "12.00")

    assert outcome.card.stamps == 0
    assert len(outcome.rewards_unlocked) == 1
    assert outcome.detail["amount"] == "12.00"


# --- points and amounts ----------------------------------------------------------


def test_points_are_the_amount_times_the_rate_rounded_down():
    program = points_program(points={"per_unit": "1.25", "currency": "EUR"})

    outcome = buy(Card(points=10), program, "4.99")

    assert outcome.points == 6  # 4.99 x 1.25 = 6.2375
    assert outcome.card.points == 16


def test_points_are_counted_in_decimal_not_binary_arithmetic():
    program = points_program(points={"per_unit": "100", "currency": "EUR"})

    outcome = buy(Card(), program, "0.29")

    # 0.29 * 100 in binary floating point is 28.999999999999996.
    assert outcome.points == 29


def test_a_purchase_too_small_for_a_whole_point_earns_nothing():
    program = points_program(points={"per_unit": "0.1", "currency": "EUR"})

    outcome = buy(Card(points=5), program, "9.99")

    assert outcome.points == 0
    assert outcome.card.points == 5


def test_the_tier_multiplier_applies_to_the_points_earned():
    program = points_program(tiers=[{"name": "Silver", "threshold": 100, "multiplier": "1.5"}])
    card = Card(earned_by_day={"lifetime": 100}, lifetime_earned=100, tier="Silver")

    outcome = buy(card, program, "3.33")

    assert outcome.points == 4  # floor(3.33 x 1 x 1.5) = floor(4.995)
    assert outcome.detail["multiplier"] == "1.5"


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("4.50", "EUR", Decimal("4.50")),
        ("4", "EUR", Decimal(4)),
        ("450", "JPY", Decimal(450)),
        ("1.125", "BHD", Decimal("1.125")),
        ("100000.00", "EUR", Decimal("100000.00")),
    ],
)
def test_a_plain_amount_within_the_currencys_minor_unit_is_accepted(amount, currency, expected):
    value = ledger.parse_amount(amount, currency, currency)

    assert value == expected


@pytest.mark.parametrize(("amount", "currency"), [("4.555", "EUR"), ("4.5", "JPY")])
def test_an_amount_with_more_decimals_than_the_currency_has_is_refused(amount, currency):
    with pytest.raises(Invalid) as refusal:
        ledger.parse_amount(amount, currency, currency)

    assert refusal.value.field == "amount.amount"


def test_an_amount_above_one_hundred_thousand_is_refused():
    with pytest.raises(Invalid):
        ledger.parse_amount("100000.01", "EUR", "EUR")


@pytest.mark.parametrize("amount", ["0", "0.00", "-4.50", "-0"])
def test_an_amount_that_is_not_positive_is_refused(amount):
    with pytest.raises(Invalid):
        ledger.parse_amount(amount, "EUR", "EUR")


@pytest.mark.parametrize(
    "amount",
    ["4e2", "1E1", "NaN", "sNaN", "Infinity", "four", "", "4_50", " 4.50", "4.50\n", "+4.50",
     "٤.٥٠", ".5", "4."],
)  # fmt: skip
def test_an_amount_that_is_not_a_plain_decimal_string_is_refused(amount):
    with pytest.raises(Invalid) as refusal:
        ledger.parse_amount(amount, "EUR", "EUR")

    assert refusal.value.field == "amount.amount"


def test_an_amount_in_another_currency_than_the_programs_is_refused():
    with pytest.raises(Invalid) as refusal:
        ledger.parse_amount("4.50", "USD", "EUR")

    assert refusal.value.field == "amount.currency"


# --- tiers -----------------------------------------------------------------------

TIERS = [
    {"name": "Gold", "threshold": 300, "multiplier": "2"},
    {"name": "Silver", "threshold": 100, "multiplier": "1.5"},
]


def test_a_member_below_every_threshold_has_no_tier():
    program = points_program(tiers=TIERS)

    outcome = buy(Card(), program, "99.99")

    assert outcome.card.tier is None


def test_reaching_a_threshold_promotes_the_member_at_once():
    program = points_program(tiers=TIERS)
    card = Card(points=60, earned_by_day={"lifetime": 60}, lifetime_earned=60)

    outcome = buy(card, program, "40.00")

    assert outcome.card.tier == "Silver"


def test_the_purchase_that_reaches_a_tier_still_earns_at_the_old_rate():
    program = points_program(tiers=TIERS)
    card = Card(points=60, earned_by_day={"lifetime": 60}, lifetime_earned=60)

    outcome = buy(card, program, "40.00")

    assert outcome.points == 40
    assert outcome.detail["multiplier"] == "1"


def test_the_highest_threshold_reached_gives_the_tier():
    program = points_program(tiers=TIERS)
    card = Card(earned_by_day={"lifetime": 250}, lifetime_earned=250, tier="Silver")

    outcome = buy(card, program, "50.00")

    assert outcome.card.tier == "Gold"


def test_without_a_window_tiers_count_everything_ever_earned():
    program = points_program(tiers=TIERS)
    card = Card(earned_by_day={"lifetime": 90}, lifetime_earned=90)
    ten_years_later = at(NOON + timedelta(days=3650))

    outcome = buy(card, program, "10.00", ten_years_later)

    assert outcome.card.tier == "Silver"
    assert outcome.card.earned_by_day == {"lifetime": 100}


def test_a_tier_window_counts_today_and_the_days_before_it():
    program = points_program(tiers=TIERS, tier_window_days=7)
    card = buy(Card(), program, "100.00").card
    sixth_day_after = (NOON + timedelta(days=6)).date()

    reviewed = ledger.review_tier(card, program, sixth_day_after)

    assert reviewed.tier == "Silver"


def test_earnings_older_than_the_window_no_longer_count_so_the_member_is_demoted():
    program = points_program(tiers=TIERS, tier_window_days=7)
    card = buy(Card(), program, "100.00").card
    seventh_day_after = (NOON + timedelta(days=7)).date()

    reviewed = ledger.review_tier(card, program, seventh_day_after)

    assert card.tier == "Silver"
    assert reviewed.tier is None


def test_the_multiplier_follows_the_window_even_before_the_daily_review_demotes():
    program = points_program(tiers=TIERS, tier_window_days=7)
    card = buy(Card(), program, "100.00").card
    a_month_later = at(NOON + timedelta(days=30))

    outcome = buy(card, program, "10.00", a_month_later)

    assert outcome.points == 10
    assert outcome.card.tier is None


def test_earnings_out_of_the_window_are_forgotten_when_the_member_earns_again():
    program = points_program(tiers=TIERS, tier_window_days=7)
    card = buy(Card(), program, "100.00").card
    a_month_later = at(NOON + timedelta(days=30))

    outcome = buy(card, program, "10.00", a_month_later)

    assert outcome.card.earned_by_day == {"2024-06-09": 10}
    assert outcome.card.lifetime_earned == 110


def test_a_lifetime_total_does_not_count_once_the_program_has_a_window():
    lifetime = points_program(tiers=TIERS)
    card = buy(Card(), lifetime, "100.00").card
    windowed = points_program(tiers=TIERS, tier_window_days=7)
    a_month_later = (NOON + timedelta(days=30)).date()

    reviewed = ledger.review_tier(card, windowed, a_month_later)

    # Nothing says when the lifetime total was earned: it is not "within the window".
    assert card.tier == "Silver"
    assert reviewed.tier is None


def test_a_stamps_program_counts_stamps_towards_its_tiers():
    program = stamp_program(tiers=[{"name": "Regular", "threshold": 12}])
    card = Card(stamps=5, earned_by_day={"lifetime": 5}, lifetime_earned=5)

    outcome = ledger.stamp(card, program, 7, "t1", ids(), at(NOON))

    assert outcome.card.tier == "Regular"


def test_a_program_without_tiers_gives_no_tier():
    program = points_program()
    card = Card(tier="Gold")

    reviewed = ledger.review_tier(card, program, NOON.date())

    assert reviewed.tier is None


# --- limits ----------------------------------------------------------------------


def test_a_program_without_limits_accepts_back_to_back_scans():
    program = stamp_program()
    first = ledger.stamp(Card(), program, 1, "t1", ids(), at(NOON))

    second = ledger.stamp(first.card, program, 1, "t2", ids(), at(NOON))

    assert second.card.stamps == 2


def test_a_scan_within_the_cooldown_is_refused_with_the_seconds_left():
    program = stamp_program(limits={"cooldown_seconds": 60})
    card = ledger.stamp(Card(), program, 1, "t1", ids(), at(NOON)).card

    with pytest.raises(ScanLimit) as refusal:
        ledger.stamp(card, program, 1, "t2", ids(), at(NOON + timedelta(seconds=20)))

    assert refusal.value.retry_after == 40
    assert refusal.value.headers == {"Retry-After": "40"}


def test_a_scan_retried_after_the_cooldowns_retry_after_is_accepted():
    program = stamp_program(limits={"cooldown_seconds": 60})
    card = ledger.stamp(Card(), program, 1, "t1", ids(), at(NOON)).card
    soon = NOON + timedelta(seconds=20.5)
    with pytest.raises(ScanLimit) as refusal:
        ledger.stamp(card, program, 1, "t2", ids(), at(soon))
    just_before = soon + timedelta(seconds=refusal.value.retry_after - 1)
    retry = soon + timedelta(seconds=refusal.value.retry_after)

    with pytest.raises(ScanLimit):
        ledger.stamp(card, program, 1, "t2", ids(), at(just_before))
    outcome = ledger.stamp(card, program, 1, "t2", ids(), at(retry))

    assert outcome.card.stamps == 2


def test_a_refused_scan_does_not_restart_the_cooldown():
    program = stamp_program(limits={"cooldown_seconds": 60})
    card = ledger.stamp(Card(), program, 1, "t1", ids(), at(NOON)).card
    with pytest.raises(ScanLimit):
        ledger.stamp(card, program, 1, "t2", ids(), at(NOON + timedelta(seconds=59)))

    outcome = ledger.stamp(card, program, 1, "t3", ids(), at(NOON + timedelta(seconds=60)))

    assert outcome.card.last_scan_at == NOON + timedelta(seconds=60)


def test_the_daily_maximum_refuses_the_next_scan_until_midnight():
    program = stamp_program(limits={"max_per_day": 2})
    card = Card()
    for hour in (9, 10):
        card = ledger.stamp(card, program, 1, "t", ids(), at(NOON.replace(hour=hour))).card

    with pytest.raises(ScanLimit) as refusal:
        ledger.stamp(card, program, 1, "t", ids(), at(NOON.replace(hour=23, minute=30)))

    assert refusal.value.retry_after == 30 * 60


def test_the_daily_count_starts_again_on_the_next_day():
    program = stamp_program(limits={"max_per_day": 1})
    card = ledger.stamp(Card(), program, 1, "t1", ids(), at(NOON)).card

    outcome = ledger.stamp(card, program, 1, "t2", ids(), at(NOON + timedelta(hours=12)))

    assert outcome.card.stamps == 2
    assert outcome.card.scan_day == "2024-05-11"
    assert outcome.card.scans_on_day == 1


def test_the_daily_maximum_counts_the_merchants_local_day_and_midnight():
    tokyo = ZoneInfo("Asia/Tokyo")
    program = stamp_program(limits={"max_per_day": 1})
    # 23:00 in Tokyo is 14:00 UTC: one hour to the local midnight, not ten.
    late = datetime(2024, 5, 10, 14, 0, tzinfo=UTC)
    moment = Moment(now=late, today=date(2024, 5, 10), zone=tokyo)
    earlier = replace(moment, now=late.replace(hour=1))
    card = ledger.stamp(Card(), program, 1, "t1", ids(), earlier).card

    with pytest.raises(ScanLimit) as refusal:
        ledger.stamp(card, program, 1, "t2", ids(), moment)

    assert refusal.value.retry_after == 3600


def test_the_daily_maximum_counts_to_midnight_west_of_utc():
    new_york = ZoneInfo("America/New_York")
    program = stamp_program(limits={"max_per_day": 1})
    # 23:00 on 10 May in New York is 03:00 UTC on 11 May.
    late = datetime(2024, 5, 11, 3, 0, tzinfo=UTC)
    moment = Moment(now=late, today=date(2024, 5, 10), zone=new_york)
    earlier = replace(moment, now=late.replace(hour=1))
    card = ledger.stamp(Card(), program, 1, "t1", ids(), earlier).card

    with pytest.raises(ScanLimit) as refusal:
        ledger.stamp(card, program, 1, "t2", ids(), moment)

    assert refusal.value.retry_after == 3600


def test_the_daily_maximum_counts_real_seconds_on_a_daylight_saving_day():
    new_york = ZoneInfo("America/New_York")
    program = stamp_program(limits={"max_per_day": 1})
    # 01:00 EST on 10 March 2024; clocks jump from 02:00 to 03:00, so midnight is 22 h away.
    early = datetime(2024, 3, 10, 6, 0, tzinfo=UTC)
    moment = Moment(now=early, today=date(2024, 3, 10), zone=new_york)
    earlier = replace(moment, now=early - timedelta(minutes=30))
    card = ledger.stamp(Card(), program, 1, "t1", ids(), earlier).card

    with pytest.raises(ScanLimit) as refusal:
        ledger.stamp(card, program, 1, "t2", ids(), moment)

    assert refusal.value.retry_after == 22 * 3600


def test_limits_apply_to_purchases_too():
    program = points_program(limits={"cooldown_seconds": 300})
    card = buy(Card(), program, "5.00").card

    with pytest.raises(ScanLimit):
        buy(card, program, "5.00", at(NOON + timedelta(seconds=10)))


# --- rewards and redemptions -----------------------------------------------------


def test_a_reward_expires_reward_valid_days_after_it_was_unlocked():
    program = stamp_program(reward_valid_days=30)

    outcome = ledger.stamp(Card(stamps=9), program, 1, "t1", ids(), at(NOON))

    assert outcome.rewards_unlocked[0].expires_at == "2024-06-09T12:00:00.000000Z"
    assert outcome.rewards_unlocked[0].unlocked_at == "2024-05-10T12:00:00.000000Z"


def test_a_reward_without_reward_valid_days_never_expires():
    program = stamp_program()

    outcome = ledger.stamp(Card(stamps=9), program, 1, "t1", ids(), at(NOON))

    assert outcome.rewards_unlocked[0].expires_at is None
    assert outcome.rewards_unlocked[0].available("9999-12-31T23:59:59.999999Z")


def test_a_reward_is_available_until_the_instant_it_expires():
    reward = Reward("r1", "Free coffee", "stamps", "t1", "2024-05-10T12:00:00.000000Z",
                    expires_at="2024-06-09T12:00:00.000000Z")  # fmt: skip

    assert reward.available("2024-06-09T11:59:59.999999Z")
    assert not reward.available("2024-06-09T12:00:00.000000Z")


def test_redeeming_a_reward_spends_it_and_leaves_the_balances_alone():
    card = ledger.stamp(Card(stamps=9), stamp_program(), 1, "t1", ids(), at(NOON)).card

    outcome = ledger.redeem_reward(card, "r1", at(NOON))

    assert outcome.card.rewards == ()
    assert outcome.reward_spent == card.rewards[0]
    assert outcome.rewards_removed == card.rewards
    assert (outcome.stamps, outcome.points) == (0, 0)


def test_an_expired_reward_cannot_be_redeemed():
    program = stamp_program(reward_valid_days=30)
    card = ledger.stamp(Card(stamps=9), program, 1, "t1", ids(), at(NOON)).card

    with pytest.raises(RewardNotAvailable):
        ledger.redeem_reward(card, "r1", at(NOON + timedelta(days=30)))


def test_a_reward_the_card_does_not_hold_cannot_be_redeemed():
    card = ledger.stamp(Card(stamps=9), stamp_program(), 1, "t1", ids(), at(NOON)).card
    spent = ledger.redeem_reward(card, "r1", at(NOON)).card

    with pytest.raises(RewardNotAvailable):
        ledger.redeem_reward(spent, "r1", at(NOON))


def test_a_catalog_item_costs_its_points():
    card = Card(points=120)

    outcome = ledger.redeem_item(card, points_program(), "espresso", at(NOON))

    assert outcome.card.points == 70
    assert outcome.points == -50
    assert outcome.reward_spent.source == "catalog"


def test_a_catalog_item_dearer_than_the_balance_is_refused():
    card = Card(points=399)

    with pytest.raises(InsufficientBalance):
        ledger.redeem_item(card, points_program(), "beans", at(NOON))


def test_an_item_not_in_the_catalog_is_refused():
    card = Card(points=1000)

    with pytest.raises(RewardNotAvailable):
        ledger.redeem_item(card, points_program(), "croissant", at(NOON))


# --- welcome gifts ---------------------------------------------------------------


def test_a_welcome_gift_of_stamps_fills_cards_like_any_stamps():
    program = stamp_program(
        stamps={"required": 2, "reward": {"name": "Tea"}}, welcome={"stamps": 3}
    )

    outcome = ledger.welcome(Card(), program, "t1", ids(), at(NOON))

    assert outcome.card.stamps == 1
    assert [r.name for r in outcome.rewards_unlocked] == ["Tea"]


def test_a_program_without_a_welcome_gift_gives_nothing():
    outcome = ledger.welcome(Card(), points_program(), "t1", ids(), at(NOON))

    assert outcome is None


# --- voids -----------------------------------------------------------------------


def test_voiding_a_purchase_takes_back_exactly_its_points():
    program = points_program()
    bought = buy(Card(points=7), program, "42.50")

    voided = ledger.void(bought.card, program, original_of("purchase", bought, at(NOON)), at(NOON))

    assert voided.points == -bought.points == -42
    assert voided.card.points == 7


def test_voiding_a_purchase_whose_points_were_spent_is_refused():
    program = points_program()
    bought = buy(Card(), program, "60.00")
    spent = ledger.redeem_item(bought.card, program, "espresso", at(NOON))

    with pytest.raises(InsufficientBalance):
        ledger.void(spent.card, program, original_of("purchase", bought, at(NOON)), at(NOON))


def test_voiding_stamps_takes_them_off_the_card():
    program = stamp_program()
    stamped = ledger.stamp(Card(stamps=2), program, 3, "t1", ids(), at(NOON))

    voided = ledger.void(stamped.card, program, original_of("stamp", stamped, at(NOON)), at(NOON))

    assert voided.card.stamps == 2
    assert voided.stamps == -3


def test_voiding_a_completing_stamp_takes_back_the_reward_and_reverses_exactly_its_delta():
    program = stamp_program()
    stamped = ledger.stamp(Card(stamps=8), program, 14, "t1", ids(), at(NOON))
    original = original_of("stamp", stamped, at(NOON))

    voided = ledger.void(stamped.card, program, original, at(NOON))

    assert voided.card.stamps == 8
    assert voided.card.rewards == ()
    assert voided.stamps == -stamped.stamps
    assert voided.rewards_removed == stamped.rewards_unlocked
    assert voided.detail["rewards_taken_back"] == ["r1", "r2"]


def test_voiding_a_stamp_whose_reward_was_redeemed_is_refused():
    program = stamp_program()
    stamped = ledger.stamp(Card(stamps=9), program, 1, "t1", ids(), at(NOON))
    redeemed = ledger.redeem_reward(stamped.card, "r1", at(NOON))

    with pytest.raises(RewardAlreadyRedeemed):
        ledger.void(redeemed.card, program, original_of("stamp", stamped, at(NOON)), at(NOON))


def test_voiding_keeps_a_reward_that_later_stamps_would_have_completed_anyway():
    program = stamp_program()
    first = ledger.stamp(Card(stamps=8), program, 2, "t1", ids(), at(NOON))
    later = ledger.stamp(first.card, program, 5, "t2", ids(), at(NOON))

    voided = ledger.void(later.card, program, original_of("stamp", first, at(NOON)), at(NOON))

    # Without the first stamps the card would hold 8 + 5 = 13: one reward and 3 stamps.
    assert voided.card.stamps == 3
    assert voided.card.rewards == first.rewards_unlocked
    assert voided.rewards_removed == ()


def test_voiding_several_cards_takes_back_a_reward_still_held_before_refusing_for_a_used_one():
    program = stamp_program()
    stamped = ledger.stamp(Card(stamps=8), program, 12, "t1", ids(), at(NOON))  # r1, r2; 0 left
    later = ledger.stamp(stamped.card, program, 4, "t2", ids(), at(NOON))
    redeemed = ledger.redeem_reward(later.card, "r1", at(NOON))

    voided = ledger.void(redeemed.card, program, original_of("stamp", stamped, at(NOON)), at(NOON))

    # Without t1 the card would hold 8 + 4 = 12: one reward (r1, used) and 2 stamps.
    assert voided.card.stamps == 2
    assert voided.card.rewards == ()
    assert [r.reward_id for r in voided.rewards_removed] == ["r2"]


def test_voiding_a_reward_redemption_gives_the_reward_back():
    card = ledger.stamp(Card(stamps=9), stamp_program(), 1, "t1", ids(), at(NOON)).card
    redeemed = ledger.redeem_reward(card, "r1", at(NOON))
    original = original_of("redemption", redeemed, at(NOON))

    voided = ledger.void(redeemed.card, stamp_program(), original, at(NOON))

    assert voided.card.rewards == card.rewards
    assert (voided.stamps, voided.points) == (0, 0)


def test_voiding_a_catalog_redemption_gives_the_points_back():
    program = points_program()
    redeemed = ledger.redeem_item(Card(points=80), program, "espresso", at(NOON))

    voided = ledger.void(
        redeemed.card, program, original_of("redemption", redeemed, at(NOON)), at(NOON)
    )

    assert voided.card.points == 80
    assert voided.points == 50
    assert voided.card.rewards == ()


def test_voiding_a_void_is_refused():
    program = points_program()
    bought = buy(Card(), program, "10.00")
    voided = ledger.void(bought.card, program, original_of("purchase", bought, at(NOON)), at(NOON))

    with pytest.raises(Conflict):
        ledger.void(voided.card, program, original_of("void", voided, at(NOON)), at(NOON))


def test_voiding_the_purchase_that_reached_a_tier_demotes_the_member():
    program = points_program(tiers=TIERS, tier_window_days=30)
    first = buy(Card(), program, "60.00")
    second = buy(first.card, program, "50.00", at(NOON + timedelta(days=1)))
    original = original_of("purchase", second, at(NOON + timedelta(days=1)))

    voided = ledger.void(second.card, program, original, at(NOON + timedelta(days=2)))

    assert second.card.tier == "Silver"
    assert voided.card.tier is None
    assert voided.card.earned_by_day == {"2024-05-10": 60}
    assert voided.card.lifetime_earned == 60
    assert voided.earned == -50


# --- statistics ------------------------------------------------------------------


def test_stamps_count_as_issued_and_full_cards_as_rewards_unlocked():
    outcome = ledger.stamp(Card(stamps=9), stamp_program(), 11, "t1", ids(), at(NOON))

    stats = ledger.stats_of("stamp", outcome, 10)

    assert stats == {"stamps_issued": 11, "rewards_unlocked": 2}


def test_a_purchase_counts_its_points_as_issued():
    outcome = buy(Card(), points_program(), "12.00")

    stats = ledger.stats_of("purchase", outcome, 0)

    assert stats == {"points_issued": 12}


def test_redeeming_a_stamp_reward_counts_a_full_card_of_stamps_redeemed():
    card = ledger.stamp(Card(stamps=9), stamp_program(), 1, "t1", ids(), at(NOON)).card
    outcome = ledger.redeem_reward(card, "r1", at(NOON))

    stats = ledger.stats_of("redemption", outcome, 10)

    assert stats == {"rewards_redeemed": 1, "stamps_redeemed": 10}


def test_a_catalog_redemption_counts_the_points_redeemed():
    outcome = ledger.redeem_item(Card(points=500), points_program(), "beans", at(NOON))

    stats = ledger.stats_of("redemption", outcome, 0)

    assert stats == {"rewards_redeemed": 1, "points_redeemed": 400}


def test_a_void_takes_back_the_statistics_of_what_it_voids():
    program = points_program()
    bought = buy(Card(), program, "12.00")
    voided = ledger.void(bought.card, program, original_of("purchase", bought, at(NOON)), at(NOON))

    stats = ledger.stats_of("void", voided, 0, ledger.stats_of("purchase", bought, 0))

    assert stats == {"points_issued": -12}


def test_a_full_card_keeps_a_net_delta_of_zero_and_says_ten_stamps_were_given():
    card = Card(stamps=0)

    outcome = ledger.stamp(card, stamp_program(), 10, "t1", ids(), at(NOON))
    stats = ledger.stats_of("stamp", outcome, 10)

    assert (outcome.stamps, outcome.stamps_added) == (0, 10)
    assert len(outcome.rewards_unlocked) == 1
    assert stats["stamps_issued"] == 10
