"""The ledger invariant, whatever happens to a card (chalicelib/domain/ledger.py).

A state machine applies stamps, purchases, redemptions, voids and the passing of
time to one card, keeping the ledger as the service would: each entry's Outcome
and what a later void needs of it. After every step the balances equal the sum
of the ledger's deltas, never go negative, and the rewards on the card are the
ones unlocked, less those taken back or redeemed, plus those given back.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from chalicelib.domain import ledger
from chalicelib.domain.ledger import Card, Moment, Original, Outcome
from chalicelib.domain.program import Program
from chalicelib.errors import LoyaltyError

STAMPS = Program.model_validate(
    {
        "name": "Coffee card",
        "kind": "stamps",
        "stamps": {"required": 3, "reward": {"name": "Free coffee"}},
        "reward_valid_days": 2,
        "welcome": {"stamps": 4},
        "tiers": [{"name": "Regular", "threshold": 4}, {"name": "Loyal", "threshold": 9}],
        "tier_window_days": 3,
    }
)
POINTS = Program.model_validate(
    {
        "name": "Bean points",
        "kind": "points",
        "points": {
            "per_unit": "1.25",
            "currency": "EUR",
            "catalog": [
                {"id": "espresso", "name": "Espresso", "cost": 10},
                {"id": "beans", "name": "Beans 250 g", "cost": 40},
            ],
        },
        "welcome": {"points": 5},
        "tiers": [
            {"name": "Silver", "threshold": 20, "multiplier": "1.5"},
            {"name": "Gold", "threshold": 60, "multiplier": "2"},
        ],
        "tier_window_days": 5,
    }
)
# The same without a window (tiers count everything ever earned) or rewards that expire.
STAMPS_FOREVER = STAMPS.model_copy(update={"tier_window_days": None, "reward_valid_days": None})
LIFETIME_POINTS = POINTS.model_copy(update={"tier_window_days": None})
PROGRAMS = [STAMPS, STAMPS_FOREVER, POINTS, LIFETIME_POINTS]

START = datetime(2024, 5, 10, 8, 0, tzinfo=UTC)

valid_amounts = st.integers(min_value=1, max_value=8_000).map(lambda cents: f"{cents / 100:.2f}")
amounts = st.one_of(
    valid_amounts,
    valid_amounts,
    valid_amounts,
    st.sampled_from(["0.00", "-1.00", "1.234", "100000.00", "100000.01", "1e3", "NaN", "4_50"]),
)


@dataclass
class Entry:
    """A ledger entry as the service keeps it."""

    type: str
    outcome: Outcome
    original: Original
    day: date
    voided: bool = False


class LedgerMachine(RuleBasedStateMachine):
    """One card, one program, and the ledger of everything done to it."""

    @initialize(program=st.sampled_from(PROGRAMS), welcome=st.booleans())
    def enrol(self, program: Program, welcome: bool) -> None:
        self.program = program
        self.card = Card()
        self.now = START
        self.entries: list[Entry] = []
        self.rewards: Counter[str] = Counter()  # reward ids the card should hold
        self.unlocked = self.taken_back = self.redeemed = self.given_back = 0
        counter = itertools.count(1)
        self.new_id = lambda: f"r{next(counter)}"
        self.transactions = itertools.count(1)
        if welcome:
            outcome = ledger.welcome(self.card, program, self.txn(), self.new_id, self.moment)
            self.record("welcome", outcome)

    # --- helpers -------------------------------------------------------------------

    @property
    def moment(self) -> Moment:
        return Moment(now=self.now, today=self.now.date())

    def txn(self) -> str:
        return f"t{next(self.transactions)}"

    def attempt(self, rule: object) -> Outcome | None:
        """Apply a rule; a refusal (any LoyaltyError) changes nothing."""
        try:
            return rule()
        except LoyaltyError:
            return None

    def record(self, type_: str, outcome: Outcome, voids: Entry | None = None) -> Entry:
        """Keep the entry as the service does, and check its deltas against the card."""
        before = self.card
        assert outcome.card.stamps - before.stamps == outcome.stamps
        assert outcome.card.points - before.points == outcome.points
        self.card = outcome.card
        self.unlocked += len(outcome.rewards_unlocked)
        self.rewards.update(r.reward_id for r in outcome.rewards_unlocked)
        self.rewards.subtract(r.reward_id for r in outcome.rewards_removed)
        if type_ == "redemption" and outcome.reward_spent.source != "catalog":
            self.redeemed += 1
        if type_ == "void":
            self.taken_back += len(outcome.rewards_removed)
            spent = voids.original.reward_spent
            if spent is not None and spent.source != "catalog":
                self.given_back += 1
                self.rewards[spent.reward_id] += 1
        entry = Entry(
            type_,
            outcome,
            ledger.Original(
                type=type_,
                stamps=outcome.stamps,
                points=outcome.points,
                earned=outcome.earned,
                day=self.moment.today.isoformat(),
                rewards_unlocked=outcome.rewards_unlocked,
                reward_spent=outcome.reward_spent,
                stamps_added=outcome.stamps_added,
            ),
            self.moment.today,
        )
        self.entries.append(entry)
        return entry

    def earned_in_window(self) -> int:
        """What the ledger says counts towards tiers today: live earnings in the window."""
        window = self.program.tier_window_days
        today = self.moment.today
        return sum(
            entry.outcome.earned
            for entry in self.entries
            if entry.type != "void"
            and not entry.voided
            and (window is None or (today - entry.day).days < window)
        )

    def can_void(self, entry: Entry) -> bool:
        """Whether a void is possible: refused only when balances or used rewards forbid it."""
        original, card = entry.original, self.card
        if original.type == "void" or card.points < original.points:
            return False
        if not original.stamps_added:
            return card.stamps >= original.stamps
        # Cards this entry completed that must be put back for the stamps to be there.
        required = self.program.stamps.required
        needed = max(0, -(-(original.stamps_added - card.stamps) // required))
        held = {r.reward_id for r in card.rewards}
        still_held = sum(1 for r in original.rewards_unlocked if r.reward_id in held)
        return needed <= still_held

    def expected_tier(self) -> str | None:
        tier = ledger.tier_for(self.program.tiers, self.earned_in_window())
        return tier.name if tier else None

    # --- what can happen to a card --------------------------------------------------

    @rule(seconds=st.integers(min_value=0, max_value=2 * 86_400))
    def time_passes(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @precondition(lambda self: self.program.kind == "stamps")
    @rule(count=st.integers(min_value=-1, max_value=16))
    def stamp(self, count: int) -> None:
        before = self.card
        outcome = self.attempt(
            lambda: ledger.stamp(before, self.program, count, self.txn(), self.new_id, self.moment)
        )

        assert (outcome is None) == (not 1 <= count <= 15)
        if outcome is not None:
            self.record("stamp", outcome)
            assert len(outcome.rewards_unlocked) == (before.stamps + count) // 3
            assert self.card.tier == self.expected_tier()

    @rule(amount=amounts)
    def purchase(self, amount: str) -> None:
        before = self.card
        multiplier = Decimal(1)
        if self.program.tiers and self.program.kind == "points":
            tier = ledger.tier_for(self.program.tiers, self.earned_in_window())
            multiplier = Decimal(tier.multiplier) if tier else Decimal(1)

        def rule() -> Outcome:
            value = ledger.parse_amount(amount, "EUR", "EUR")
            return ledger.purchase(
                before, self.program, value, "EUR", self.txn(), self.new_id, self.moment
            )

        outcome = self.attempt(rule)

        if outcome is None:
            return
        self.record("purchase", outcome)
        if self.program.kind == "points":
            exact = Decimal(amount) * Decimal("1.25") * multiplier
            assert outcome.points == int(exact.to_integral_value(rounding=ROUND_FLOOR))
            if outcome.points:
                assert self.card.tier == self.expected_tier()
        else:
            assert outcome.stamps_added == 1

    @precondition(lambda self: self.card.rewards)
    @rule(data=st.data())
    def redeem_a_reward_on_the_card(self, data: st.DataObject) -> None:
        reward = data.draw(st.sampled_from(self.card.rewards))
        self.redeem(reward.reward_id)

    @rule(data=st.data())
    def redeem_any_reward(self, data: st.DataObject) -> None:
        ever = {r.reward_id for e in self.entries for r in e.outcome.rewards_unlocked}
        self.redeem(data.draw(st.sampled_from(sorted(ever | {"not-a-reward"}))))

    def redeem(self, reward_id: str) -> None:
        held = next((r for r in self.card.rewards if r.reward_id == reward_id), None)

        outcome = self.attempt(lambda: ledger.redeem_reward(self.card, reward_id, self.moment))

        assert (outcome is not None) == (held is not None and held.available(self.moment.iso))
        if outcome is not None:
            self.record("redemption", outcome)

    @precondition(lambda self: self.program.kind == "points")
    @rule(item=st.sampled_from(["espresso", "beans", "croissant"]))
    def redeem_item(self, item: str) -> None:
        before = self.card
        outcome = self.attempt(lambda: ledger.redeem_item(before, self.program, item, self.moment))

        cost = {"espresso": 10, "beans": 40}.get(item)
        assert (outcome is not None) == (cost is not None and before.points >= cost)
        if outcome is not None:
            self.record("redemption", outcome)
            assert outcome.points == -cost

    @precondition(lambda self: any(not e.voided and e.type != "void" for e in self.entries))
    @rule(data=st.data())
    def void_a_live_entry(self, data: st.DataObject) -> None:
        live = [e for e in self.entries if not e.voided and e.type != "void"]
        self.void(data.draw(st.sampled_from(live)))

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def void_any_entry(self, data: st.DataObject) -> None:
        self.void(data.draw(st.sampled_from(self.entries)))

    def void(self, entry: Entry) -> None:
        if entry.voided:
            return  # the service answers a second void with the first one: a no-op
        before = self.card
        latest = entry is self.entries[-1]
        possible = self.can_void(entry)

        outcome = self.attempt(
            lambda: ledger.void(before, self.program, entry.original, self.moment)
        )

        assert (outcome is not None) == possible
        if latest and entry.type != "void":
            # Nothing happened since: it can always be reversed.
            assert outcome is not None
        if outcome is None:
            return
        entry.voided = True
        self.record("void", outcome, voids=entry)
        assert outcome.points == -entry.outcome.points
        assert outcome.earned == -entry.outcome.earned
        if before.stamps == entry.outcome.card.stamps:
            # The card is where this entry left it: the void reverses exactly its deltas.
            assert outcome.stamps == -entry.outcome.stamps
            assert {r.reward_id for r in outcome.rewards_removed} == {
                r.reward_id for r in entry.outcome.rewards_unlocked
            }
        assert self.card.tier == self.expected_tier()

    # --- after every step -----------------------------------------------------------

    @invariant()
    def balances_are_the_sum_of_the_ledgers_deltas(self) -> None:
        assert self.card.stamps == sum(e.outcome.stamps for e in self.entries)
        assert self.card.points == sum(e.outcome.points for e in self.entries)

    @invariant()
    def balances_are_never_negative(self) -> None:
        assert self.card.stamps >= 0
        assert self.card.points >= 0
        if self.program.stamps is not None:
            assert self.card.stamps < self.program.stamps.required

    @invariant()
    def rewards_are_those_unlocked_less_taken_back_or_redeemed_plus_given_back(self) -> None:
        expected = self.unlocked - self.taken_back - self.redeemed + self.given_back
        assert len(self.card.rewards) == expected
        assert Counter(r.reward_id for r in self.card.rewards) == +self.rewards
        assert all(n >= 0 for n in self.rewards.values())

    @invariant()
    def tiers_count_what_the_ledger_earned_in_the_window(self) -> None:
        window = self.program.tier_window_days
        today = self.moment.today
        assert ledger.earned_in_window(self.card.earned_by_day, today, window) == (
            self.earned_in_window()
        )
        assert ledger.review_tier(self.card, self.program, today).tier == self.expected_tier()
        assert self.card.lifetime_earned == sum(e.outcome.earned for e in self.entries)


LedgerMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=50, deadline=None)
TestLedgerInvariant = LedgerMachine.TestCase
