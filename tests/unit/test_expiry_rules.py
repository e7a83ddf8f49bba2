"""The pure expiry and birthday rules: lots, warnings, due days, 29 February."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain import expiry
from chalicelib.domain.expiry import Lot
from chalicelib.domain.ledger import Card, Reward
from chalicelib.domain.program import Expiry

D = date.fromisoformat


def rule(mode: str, days: int | None = None) -> Expiry:
    return Expiry(mode=mode, days=days)


@pytest.mark.parametrize(
    ("mode", "days", "earned", "last_day"),
    [
        ("never", None, "2026-03-10", None),
        ("after_days", 30, "2026-03-10", "2026-04-09"),
        ("inactivity_days", 10, "2026-03-10", "2026-03-20"),
        ("end_of_month", None, "2026-02-10", "2026-02-28"),
        ("end_of_month", None, "2028-02-10", "2028-02-29"),
        ("end_of_year", None, "2026-03-10", "2026-12-31"),
    ],
)
def test_each_mode_gives_the_last_valid_day_of_an_earning(mode, days, earned, last_day):
    assert expiry.expires_on(rule(mode, days), D(earned)) == (D(last_day) if last_day else None)


def test_spending_takes_the_oldest_points_first():
    lots = (Lot(D("2026-02-01"), D("2026-01-01"), 100), Lot(D("2026-02-10"), D("2026-01-10"), 50))

    left = expiry.consume(lots, 120)

    assert left == (Lot(D("2026-02-10"), D("2026-01-10"), 30),)


def test_an_earning_keeps_the_expiry_of_its_day_when_the_rule_shortens():
    earned = expiry.settle((), 90, 0, D("2026-01-01"), rule("after_days", 365), activity=True)

    later = expiry.settle(earned, 5, 90, D("2026-01-02"), rule("after_days", 10), activity=True)

    assert Lot(D("2027-01-01"), D("2026-01-01"), 90) in later
    assert Lot(D("2026-01-12"), D("2026-01-02"), 5) in later


def test_activity_moves_every_lot_under_inactivity_but_a_job_does_not():
    lots = expiry.settle((), 100, 0, D("2026-01-01"), rule("inactivity_days", 30), activity=True)

    active = expiry.settle(lots, 10, 100, D("2026-01-25"), rule("inactivity_days", 30), True)
    by_job = expiry.settle(lots, 0, 100, D("2026-01-25"), rule("inactivity_days", 30), False)

    assert [lot.expires_on for lot in active] == [D("2026-02-24")]
    assert [lot.expires_on for lot in by_job] == [D("2026-01-31")]


def test_points_from_before_lots_never_expire():
    assert expiry.reconcile((), 40) == (Lot(None, None, 40),)
    assert expiry.expired(expiry.reconcile((), 40), D("2099-01-01")) == 0


def test_points_expire_the_day_after_their_last_day():
    lots = (Lot(D("2026-01-31"), D("2026-01-01"), 100),)

    assert expiry.expired(lots, D("2026-01-31")) == 0
    assert expiry.expired(lots, D("2026-02-01")) == 100


def test_expire_takes_points_and_lapsed_rewards():
    lapsed = Reward(
        "r1", "Coffee", "stamps", "t", "2026-01-01T00:00:00.000000Z", "2026-01-10T00:00:00.000000Z"
    )
    live = Reward("r2", "Tea", "stamps", "t", "2026-01-01T00:00:00.000000Z", None)
    card = Card(points=150, rewards=(lapsed, live))
    lots = (Lot(D("2026-01-31"), D("2026-01-01"), 100), Lot(None, None, 50))

    outcome = expiry.expire(card, lots, D("2026-02-01"), "2026-02-01T00:00:00.000000Z")

    assert outcome.points == -100
    assert outcome.card.points == 50
    assert outcome.card.rewards == (live,)
    assert outcome.rewards_removed == (lapsed,)


def test_the_warning_reads_as_the_pass_shows_it():
    lots = (Lot(D("2026-12-31"), D("2026-01-05"), 120), Lot(D("2027-01-31"), D("2026-02-01"), 9))

    assert expiry.notice(lots, D("2026-12-24"), 7) == "120 points expire on 31 Dec"
    assert expiry.notice(lots, D("2026-12-23"), 7) is None
    assert expiry.notice((Lot(D("2026-12-31"), None, 1),), D("2026-12-31"), 7) == (
        "1 point expires on 31 Dec"
    )


def test_the_next_due_day_is_the_warning_then_the_day_after_the_last():
    lots = (Lot(D("2026-01-31"), D("2026-01-01"), 100),)

    assert expiry.next_due(lots, (), D("2026-01-01"), 7) == D("2026-01-24")
    assert expiry.next_due(lots, (), D("2026-01-24"), 7) == D("2026-02-01")
    assert expiry.next_due(lots, (), D("2026-02-03"), 7) == D("2026-02-03")  # overdue: today
    assert expiry.next_due(lots, [D("2026-01-10")], D("2026-01-01"), 7) == D("2026-01-11")
    assert expiry.next_due((Lot(None, None, 5),), (), D("2026-01-01"), 7) is None


def test_29_february_birthdays_fall_on_28_february_outside_leap_years():
    assert expiry.birthdays_on(D("2027-02-28")) == ("02-28", "02-29")
    assert expiry.birthdays_on(D("2028-02-28")) == ("02-28",)
    assert expiry.birthdays_on(D("2028-02-29")) == ("02-29",)
    assert expiry.is_birthday("2000-02-29", D("2027-02-28"))
    assert not expiry.is_birthday("2000-02-29", D("2028-02-28"))
    assert expiry.is_birthday("06-15", D("2026-06-15"))
    assert not expiry.is_birthday(None, D("2026-06-15"))


def test_a_birthday_reward_lasts_its_valid_days_in_the_merchant_zone():
    reward = expiry.birthday_reward("Cake", 14, "t", "r", D("2026-06-15"), ZoneInfo("Europe/Paris"))

    assert reward.name == "Happy birthday! Cake"
    assert reward.source == "birthday"
    assert reward.expires_at == "2026-06-28T22:00:00.000000Z"


def test_a_held_tier_is_due_for_review_when_its_oldest_earning_leaves_the_window():
    days = {"2026-01-01": 100, "2026-01-10": 5}

    assert expiry.tier_due("Silver", days, D("2026-01-05"), 30) == D("2026-01-31")
    assert expiry.tier_due(None, days, D("2026-01-05"), 30) is None
    assert expiry.tier_due("Silver", days, D("2026-01-05"), None) is None


def test_offsets_and_shards_spread_and_order_the_index():
    assert expiry.utc_offset_minutes(ZoneInfo("Pacific/Auckland"), D("2026-01-15")) == 780
    assert expiry.utc_offset_minutes(ZoneInfo("America/Los_Angeles"), D("2026-07-15")) == -420
    assert {expiry.shard_of(f"m{i}") for i in range(500)} == set(range(expiry.SHARDS))


def test_lots_survive_their_storage_form():
    lots = (Lot(D("2026-01-31"), D("2026-01-01"), 100), Lot(None, None, 5))

    assert expiry.lots_from_json(expiry.lots_to_json(lots)) == lots
