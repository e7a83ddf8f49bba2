"""The scheduled jobs against the embedded DynamoDB, each test on days of its own.

The jobs' indexes and checkpoints are shared by every test of a worker, so each test
pretends dates in a year no other test uses, and asserts on its own members' ledgers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib import ids
from chalicelib.domain.program import Program
from chalicelib.domain.roles import Role
from chalicelib.jobs import birthday, expiry, runner, tiers
from chalicelib.services import auth, members, programs, scheduled
from chalicelib.services import ledger as ledger_service
from chalicelib.store.models import (
    JobRunItem,
    MemberItem,
    OutboxItem,
    ProgramItem,
    TransactionItem,
)
from tests.conftest import Merchant, make_merchant


def at(day: str, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


class Shop:
    """A merchant with one program, and helpers to act on its members at pretended times."""

    def __init__(
        self, pretend_now: Callable[[datetime], None], document: dict, zone: str = "Europe/Paris"
    ):
        self.pretend_now = pretend_now
        self.merchant: Merchant = make_merchant(zone=zone)
        self.owner = auth.Principal(
            self.merchant.staff_ids["owner"], self.merchant.merchant_id, Role.owner, None
        )
        self.program_id = programs.create_program(
            self.owner, Program.model_validate({"name": "Beans", **document})
        ).program_id
        self.claims = auth.decode_token(self.merchant.tokens["barista"])

    def enrol(self, when: datetime, birthday: str | None = None) -> str:
        self.pretend_now(when)
        email = f"m-{ids.new_id().lower()}@example.com"
        return members.enrol(self.program_id, "Ada", email, birthday, False).member.member_id

    def buy(self, member_id: str, amount: str, when: datetime) -> None:
        self.pretend_now(when)
        body = {"amount": {"amount": amount, "currency": "EUR"}}
        ledger_service.record_purchase(
            self.claims, member_id, amount, "EUR", ids.new_id(), {**body, "k": ids.new_id()}
        )

    def crowd(self, count: int, amount: str, when: datetime) -> list[str]:
        """`count` members, each enrolled and buying for `amount` at `when`."""
        crowd = []
        for _ in range(count):
            someone = self.enrol(when)
            self.buy(someone, amount, when)
            crowd.append(someone)
        return crowd

    def redeem(self, member_id: str, item: str, when: datetime) -> None:
        self.pretend_now(when)
        ledger_service.redeem(self.claims, member_id, None, item, ids.new_id(), {"i": item})

    def stamp(self, member_id: str, count: int, when: datetime) -> None:
        self.pretend_now(when)
        ledger_service.add_stamps(self.claims, member_id, count, ids.new_id(), {"n": count})


def points_program(mode: str, days: int | None = None, **more: object) -> dict:
    rule: dict = {"mode": mode}
    if days is not None:
        rule["days"] = days
    return {
        "kind": "points",
        "points": {
            "per_unit": "1",
            "currency": "EUR",
            "catalog": [{"id": "cake", "name": "Cake", "cost": 120}],
        },
        "expiry": rule,
        **more,
    }


def member(member_id: str) -> MemberItem:
    return MemberItem.get(member_id, consistent_read=True)


def entries(member_id: str, type_: str) -> list[TransactionItem]:
    return [t for t in TransactionItem.query(member_id) if t.type == type_]


def expiry_points(member_id: str) -> list[int]:
    return [int(t.points) for t in entries(member_id, "expiry")]


# --- after_days ------------------------------------------------------------------------


def test_points_expire_after_days_with_one_ledger_entry_and_a_second_run_is_a_no_op(
    dynamodb_url, pretend_now
):
    shop = Shop(pretend_now, points_program("after_days", 30))
    old = shop.enrol(at("2031-01-01"))
    shop.buy(old, "100", at("2031-01-01"))
    young = shop.enrol(at("2031-01-20"))
    shop.buy(young, "80", at("2031-01-20"))

    expiry.run(at("2031-01-31"))
    kept_on_last_day = member(old).points
    expiry.run(at("2031-02-01"))
    expiry.run(at("2031-02-01", 18))

    assert kept_on_last_day == 100
    assert expiry_points(old) == [-100]
    assert member(old).points == 0
    assert entries(old, "expiry")[0].staff_id is None
    assert expiry_points(young) == []
    assert member(young).points == 80


def test_the_warning_shows_on_the_pass_without_spending_a_notification(dynamodb_url, pretend_now):
    shop = Shop(pretend_now, points_program("after_days", 30))
    ada = shop.enrol(at("2032-01-01"))
    shop.buy(ada, "120", at("2032-01-01"))
    OutboxItem(f"pass#{ada}").delete()
    version = int(member(ada).version)

    outcomes = expiry.run(at("2032-01-24"))

    outbox = OutboxItem.get(f"pass#{ada}", consistent_read=True)
    assert outcomes["warned"] >= 1
    assert outbox.notify is False
    assert outbox.reason == "expiry_warning"
    assert int(member(ada).version) == version + 1
    assert member(ada).expiry_key.startswith("2032-02-01#")
    from chalicelib.domain import expiry as rules

    lots = rules.lots_from_json(member(ada).point_lots)
    assert rules.notice(lots, date(2032, 1, 24), 7) == "120 points expire on 31 Jan"
    assert expiry_points(ada) == []


def test_redemptions_consume_the_oldest_points_first(dynamodb_url, pretend_now):
    shop = Shop(pretend_now, points_program("after_days", 30))
    ada = shop.enrol(at("2033-01-01"))
    shop.buy(ada, "100", at("2033-01-01"))
    shop.buy(ada, "50", at("2033-01-10"))
    shop.redeem(ada, "cake", at("2033-01-15"))

    expiry.run(at("2033-02-01"))
    after_first_lot = member(ada).points
    expiry.run(at("2033-02-10"))

    assert after_first_lot == 30
    assert expiry_points(ada) == [-30]
    assert member(ada).points == 0


# --- inactivity, end of month, end of year -----------------------------------------------


def test_activity_inside_the_window_keeps_the_points(dynamodb_url, pretend_now):
    shop = Shop(pretend_now, points_program("inactivity_days", 30))
    active = shop.enrol(at("2034-01-01"))
    shop.buy(active, "100", at("2034-01-01"))
    shop.buy(active, "10", at("2034-01-25"))
    idle = shop.enrol(at("2034-01-01"))
    shop.buy(idle, "70", at("2034-01-01"))

    expiry.run(at("2034-02-01"))
    active_kept = member(active).points
    expiry.run(at("2034-02-25"))

    assert expiry_points(idle) == [-70]
    assert active_kept == 110
    assert expiry_points(active) == [-110]


@pytest.mark.parametrize(
    ("mode", "earned", "last_day"),
    [("end_of_month", "2035-01-15", "2035-01-31"), ("end_of_year", "2036-03-01", "2036-12-31")],
)
def test_calendar_modes_expire_after_the_period_ends(
    dynamodb_url, pretend_now, mode, earned, last_day
):
    shop = Shop(pretend_now, points_program(mode))
    ada = shop.enrol(at(earned))
    shop.buy(ada, "40", at(earned))
    day_after = (date.fromisoformat(last_day) + timedelta(days=1)).isoformat()

    expiry.run(at(last_day))
    kept = member(ada).points
    expiry.run(at(day_after))

    assert kept == 40
    assert expiry_points(ada) == [-40]


def test_a_shorter_rule_never_shortens_points_already_earned(dynamodb_url, pretend_now):
    shop = Shop(pretend_now, points_program("after_days", 365))
    ada = shop.enrol(at("2037-01-01"))
    shop.buy(ada, "90", at("2037-01-01"))
    programs.patch_program(shop.owner, shop.program_id, {"expiry": {"days": 10}})
    shop.buy(ada, "5", at("2037-01-02"))

    expiry.run(at("2037-01-13"))

    assert expiry_points(ada) == [-5]
    assert member(ada).points == 90


def test_rewards_expire_at_their_expiry(dynamodb_url, pretend_now):
    document = {
        "kind": "stamps",
        "stamps": {"required": 2, "reward": {"name": "Coffee"}},
        "reward_valid_days": 10,
    }
    shop = Shop(pretend_now, document)
    ada = shop.enrol(at("2038-01-01"))
    shop.stamp(ada, 2, at("2038-01-01", 9))

    expiry.run(at("2038-01-11"))
    still = len(member(ada).rewards)
    expiry.run(at("2038-01-12"))

    assert still == 1
    assert member(ada).rewards == []
    gone = entries(ada, "expiry")
    assert len(gone) == 1
    assert json.loads(gone[0].detail)["rewards_expired"]


# --- time zones ----------------------------------------------------------------------------


def test_each_merchant_expires_on_its_own_local_day(dynamodb_url, pretend_now):
    auckland = Shop(pretend_now, points_program("end_of_month"), zone="Pacific/Auckland")
    los_angeles = Shop(pretend_now, points_program("end_of_month"), zone="America/Los_Angeles")
    kiwi = auckland.enrol(at("2039-03-31", 0, 30))
    auckland.buy(kiwi, "10", at("2039-03-31", 0, 30))  # 13:30 on 31 March in Auckland
    angeleno = los_angeles.enrol(at("2039-03-31", 20))
    los_angeles.buy(angeleno, "20", at("2039-03-31", 20))  # 13:00 on 31 March in LA

    expiry.run(at("2039-03-31", 12, 30))  # Auckland: 1 April 01:30; LA: 31 March 05:30
    kiwi_first, angeleno_first = expiry_points(kiwi), expiry_points(angeleno)
    expiry.run(at("2039-04-01", 8, 30))  # LA: 1 April 01:30

    assert kiwi_first == [-10]
    assert angeleno_first == []
    assert expiry_points(angeleno) == [-20]
    assert expiry_points(kiwi) == [-10]


# --- birthdays -------------------------------------------------------------------------------


def birthday_program() -> dict:
    return {
        "kind": "stamps",
        "stamps": {"required": 8, "reward": {"name": "Coffee"}},
        "birthday": {"reward": {"name": "Cake"}, "valid_days": 14},
    }


def test_a_birthday_reward_is_granted_once_on_the_day(dynamodb_url, pretend_now):
    shop = Shop(pretend_now, birthday_program())
    ada = shop.enrol(at("2040-01-01"), birthday="1990-06-15")
    bob = shop.enrol(at("2040-01-01"), birthday="06-16")

    birthday.run(at("2040-06-15"))
    birthday.run(at("2040-06-15", 20))

    granted = entries(ada, "birthday")
    assert len(granted) == 1
    assert granted[0].staff_id is None
    rewards = member(ada).rewards
    assert [r.name for r in rewards] == ["Happy birthday! Cake"]
    assert rewards[0].expires_at.startswith("2040-06-2")
    assert entries(bob, "birthday") == []
    assert OutboxItem.get(f"pass#{ada}", consistent_read=True).notify is True


def test_29_february_is_celebrated_on_28_february_in_other_years(dynamodb_url, pretend_now):
    shop = Shop(pretend_now, birthday_program())
    leap = shop.enrol(at("2041-01-01"), birthday="02-29")

    birthday.run(at("2041-02-28"))
    in_2041 = len(entries(leap, "birthday"))
    birthday.run(at("2044-02-28"))
    on_28_in_leap_year = len(entries(leap, "birthday"))
    birthday.run(at("2044-02-29"))

    assert in_2041 == 1
    assert on_28_in_leap_year == 1
    assert len(entries(leap, "birthday")) == 2


def test_erased_members_are_skipped(dynamodb_url, pretend_now):
    shop = Shop(pretend_now, {**points_program("after_days", 10), **birthday_program()})
    ada = shop.enrol(at("2042-05-01"), birthday="05-05")
    shop.buy(ada, "10", at("2042-05-01"))
    owner = auth.Principal(
        shop.merchant.staff_ids["owner"], shop.merchant.merchant_id, Role.owner, None
    )
    members.erase(owner, ada)

    birthday.run(at("2042-05-05"))
    expiry.run(at("2042-05-12"))

    assert member(ada).expiry_key is None
    assert member(ada).birthday_key is None
    assert entries(ada, "birthday") == []
    assert expiry_points(ada) == []


# --- tiers -----------------------------------------------------------------------------------


def silver_member(pretend_now, day: str) -> tuple[Shop, str]:
    """A member promoted to Silver (150 points) on `day`, in a 30-day tier window."""
    document = points_program(
        "never",
        tiers=[
            {"name": "Bronze", "threshold": 0},
            {"name": "Silver", "threshold": 100, "multiplier": "1.5"},
        ],
        tier_window_days=30,
    )
    shop = Shop(pretend_now, document)
    ada = shop.enrol(at(day))
    shop.buy(ada, "150", at(day))
    return shop, ada


def test_a_tier_is_demoted_when_its_earnings_leave_the_window(dynamodb_url, pretend_now):
    _, ada = silver_member(pretend_now, "2043-01-01")
    promoted = member(ada).tier

    tiers.run(at("2043-01-30"))
    kept = member(ada).tier
    tiers.run(at("2043-01-31"))

    assert promoted == "Silver"
    assert kept == "Silver"
    assert member(ada).tier == "Bronze"


# --- resuming --------------------------------------------------------------------------------


class LambdaKilled(BaseException):
    """The process ends mid-run (a timeout, an out-of-memory): not a member's failure."""


def test_a_run_cut_off_halfway_resumes_without_doubling_anything(dynamodb_url, pretend_now):
    shop = Shop(pretend_now, points_program("after_days", 5))
    crowd = shop.crowd(12, "7", at("2045-03-01"))
    calls = {"n": 0}
    real = scheduled.expire_member

    def crashing(member_id, due, now):
        calls["n"] += 1
        if calls["n"] == 4:
            raise LambdaKilled("Lambda timed out")
        return real(member_id, due, now)

    job = runner.Job(**{**expiry.JOB.__dict__, "handle": crashing})

    stopped = runner.run(job, at("2045-03-07"), page_size=1, max_pages=2)
    with pytest.raises(LambdaKilled):
        runner.run(job, at("2045-03-07"), page_size=1)
    runner.run(job, at("2045-03-07"), page_size=1)
    runner.run(job, at("2045-03-07", 18), page_size=1)

    assert stopped["stopped"] == 1
    assert [expiry_points(m) for m in crowd] == [[-7]] * 12
    assert JobRunItem.get("expiry#2045-03-07").done


def test_the_warning_shows_on_the_google_card_too(dynamodb_url, pretend_now):
    from chalicelib.services import google_wallet
    from chalicelib.services import programs as program_service

    shop = Shop(pretend_now, points_program("after_days", 30))
    ada = shop.enrol(at("2032-03-01"))
    shop.buy(ada, "120", at("2032-03-01"))
    pretend_now(at("2032-03-25"))
    expiry.run(at("2032-03-25"))
    program = program_service.program_of(program_service.load_program(shop.program_id))

    body = google_wallet.object_body(member(ada), program)

    module = body["textModulesData"][0]
    assert (module["id"], module["header"]) == ("expiry", "Expiring soon")
    # The date as the program's language writes it (English here), and in the others.
    assert module["body"] == "120 points expire on Mar 31, 2032"
    assert {"language": "fr", "value": "120 points expirent le 31 mars 2032"} in module[
        "localizedBody"
    ]["translatedValues"]


def run_lambda(name: str) -> list[dict]:
    """Invoke a job's Lambda handler as the hourly schedule does, with Lambda's 15 minutes;
    the metrics lines (embedded metric format) it printed."""
    import io
    from contextlib import redirect_stdout

    from chalice.local import LambdaContext
    from chalice.test import TestEventsClient

    from app import app

    event = TestEventsClient(app).generate_cw_event("aws.events", "Scheduled Event", {}, [])
    out = io.StringIO()
    with redirect_stdout(out):
        app.handler_map[name](event, LambdaContext(name, 512, max_runtime_ms=900_000))
    return [json.loads(line) for line in out.getvalue().splitlines() if '"_aws"' in line]


def test_one_members_failure_is_counted_and_the_others_still_get_theirs(dynamodb_url, pretend_now):
    shop = Shop(pretend_now, points_program("after_days", 30))
    crowd = shop.crowd(5, "50", at("2046-01-01"))
    broken = crowd[2]
    lots = member(broken).point_lots
    # Data the rules cannot read: this member's change raises.
    MemberItem(broken).update(actions=[MemberItem.point_lots.set("not lots")])
    pretend_now(at("2046-02-01", 10))

    first = run_lambda("expire_points")
    expired_first = [expiry_points(m) for m in crowd]
    MemberItem(broken).update(actions=[MemberItem.point_lots.set(lots)])
    pretend_now(at("2046-02-01", 11))
    second = run_lambda("expire_points")

    assert expired_first == [[-50], [-50], [], [-50], [-50]]
    assert [m["JobMembersFailed"] for m in first] == [1]
    assert first[0]["Job"] == "expiry"
    assert [m["JobMembersFailed"] for m in second] == [0]
    assert expiry_points(broken) == [-50]


def test_a_birthday_reward_follows_a_change_another_process_made_to_the_program(
    dynamodb_url, pretend_now
):
    shop = Shop(pretend_now, birthday_program())
    ada = shop.enrol(at("2047-01-01"), birthday="1990-06-15")
    programs.cached_program(shop.program_id)  # this process holds the program
    # Another process (the owner's console) renames the treat: this one's copy is stale.
    item = ProgramItem.get(shop.program_id, consistent_read=True)
    document = json.loads(item.document)
    document["birthday"]["reward"]["name"] = "Pie"
    item.update(
        actions=[
            ProgramItem.document.set(json.dumps(document)),
            ProgramItem.version.set(int(item.version) + 1),
        ]
    )

    birthday.run(at("2047-06-15"))

    assert [r.name for r in member(ada).rewards] == ["Happy birthday! Pie"]


def test_a_tier_review_follows_a_window_another_process_lengthened(dynamodb_url, pretend_now):
    shop, ada = silver_member(pretend_now, "2048-01-01")
    programs.cached_program(shop.program_id)  # this process holds the 30-day window
    item = ProgramItem.get(shop.program_id, consistent_read=True)
    changed = json.loads(item.document)
    changed["tier_window_days"] = 60
    item.update(
        actions=[
            ProgramItem.document.set(json.dumps(changed)),
            ProgramItem.version.set(int(item.version) + 1),
        ]
    )

    tiers.run(at("2048-01-31"))

    assert member(ada).tier == "Silver"


def test_a_member_that_keeps_failing_is_given_up_after_the_attempts_and_logged(
    dynamodb_url, monkeypatch, pretend_now
):
    shop = Shop(pretend_now, points_program("after_days", 30))
    broken = shop.enrol(at("2049-01-01"))
    shop.buy(broken, "50", at("2049-01-01"))
    MemberItem(broken).update(actions=[MemberItem.point_lots.set("not lots")])
    monkeypatch.setattr(runner, "MEMBER_ATTEMPTS", 2)

    runs = [expiry.run(at("2049-02-01", hour)) for hour in (10, 11, 12)]

    assert [(r["failed"], r["abandoned"]) for r in runs] == [(1, 0), (1, 1), (0, 0)]
