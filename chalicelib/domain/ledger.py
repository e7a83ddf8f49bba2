"""The ledger's rules: stamps, points, tiers, rewards, limits and voids, as pure functions.

A `Card` is what the rules need of a member; an `Outcome` is what a balance change
does to it. The caller passes the time, the ids and the program: nothing is looked
up here. The ledger invariant: each Outcome's deltas are exactly the change of the
card's balances, so the balances always equal the sum of the ledger's deltas.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any, Literal

from chalicelib.domain.currencies import MINOR_UNITS
from chalicelib.domain.instants import iso
from chalicelib.domain.program import Program, Tier
from chalicelib.domain.roles import Role
from chalicelib.errors import (
    Conflict,
    InsufficientBalance,
    Invalid,
    ManagerRequired,
    RewardAlreadyRedeemed,
    RewardNotAvailable,
    ScanLimit,
)

MAX_PURCHASE = Decimal("100000.00")
_PLAIN_AMOUNT = re.compile(r"[0-9]{1,12}(\.[0-9]{1,4})?")
# The key earnings are kept under when tiers count everything ever earned.
LIFETIME = "lifetime"
# A ledger entry's kind, as stored and as API.md's Transaction `type` lists them.
TransactionType = Literal[
    "stamp",
    "purchase",
    "redemption",
    "welcome",
    "birthday",
    "expiry",
    "void",
    "adjustment",
    "refund",
    "action",
    "referral",
    "challenge",
    "donation",
    "membership",
    "import",
]


@dataclass(frozen=True)
class Reward:
    reward_id: str
    name: str
    source: str  # stamps | welcome | birthday
    transaction_id: str
    unlocked_at: str
    expires_at: str | None = None

    def available(self, now_iso: str) -> bool:
        return self.expires_at is None or self.expires_at > now_iso


@dataclass(frozen=True)
class Card:
    """A member's balances and the history the rules need."""

    stamps: int = 0
    points: int = 0
    tier: str | None = None
    rewards: tuple[Reward, ...] = ()
    earned_by_day: dict[str, int] = field(default_factory=dict)
    lifetime_earned: int = 0
    last_scan_at: datetime | None = None
    scan_day: str | None = None
    scans_on_day: int = 0


@dataclass(frozen=True)
class Given:
    """A part of what a change gave, and why: `base` (the program's rate), `tier`."""

    source: str
    stamps: int = 0
    points: int = 0


@dataclass(frozen=True)
class Outcome:
    card: Card
    stamps: int  # signed change of the stamps balance
    points: int  # signed change of the points balance
    earned: int = 0  # counted towards tiers (stamps for a stamp program)
    # What the change gave, apart from the net deltas: ten stamps that fill a
    # ten-stamp card leave the balance unchanged (`stamps` 0) but were given.
    stamps_added: int = 0
    points_added: int = 0
    # The parts of stamps_added/points_added by source; none said: all `base`.
    given: tuple[Given, ...] = ()
    rewards_unlocked: tuple[Reward, ...] = ()
    rewards_removed: tuple[Reward, ...] = ()
    reward_spent: Reward | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Moment:
    """When a change happens: the instant (UTC), the merchant's local day and time zone.

    `today` is the local day in `zone`; the daily scan limit waits for its midnight.
    """

    now: datetime
    today: date
    zone: tzinfo = UTC

    @property
    def iso(self) -> str:
        return iso(self.now)


NewId = Callable[[], str]


# --- cards and points ----------------------------------------------------------


def add_stamps(stamps: int, count: int, required: int) -> tuple[int, int]:
    """Add `count` stamps; return the stamps the card then shows and how many rewards it unlocked.

    A full card unlocks its reward and starts again with the stamps left over.
    """
    total = stamps + count
    return total % required, total // required


def points_for(amount: Decimal, per_unit: Decimal, multiplier: Decimal) -> int:
    """floor(amount x per_unit x multiplier), in whole points, in decimal arithmetic."""
    return int((amount * per_unit * multiplier).to_integral_value(rounding=ROUND_FLOOR))


def parse_amount(amount: str, currency: str, program_currency: str) -> Decimal:
    """A money amount as a Decimal, refused unless it is a plain positive amount."""
    if currency != program_currency:
        raise Invalid(
            f"amount.currency: this program earns in {program_currency}, not {currency}",
            field="amount.currency",
        )
    # Plain ASCII digits only: Decimal() also takes "1_000", "1e3", "NaN" and other scripts' digits.
    if not _PLAIN_AMOUNT.fullmatch(amount):
        raise Invalid('amount.amount: a decimal string such as "4.50"', field="amount.amount")
    try:
        value = Decimal(amount)
    except InvalidOperation as exc:
        raise Invalid("amount.amount: not a decimal number", field="amount.amount") from exc
    if value <= 0:
        raise Invalid("amount.amount: must be a positive decimal", field="amount.amount")
    places = MINOR_UNITS.get(currency, 2)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise Invalid(
            f"amount.amount: {currency} has {places} decimal places", field="amount.amount"
        )
    if value > MAX_PURCHASE:
        raise Invalid(f"amount.amount: at most {MAX_PURCHASE}", field="amount.amount")
    return value


def check_purchase_size(amount: Decimal, program: Program, role: Role) -> None:
    """A barista records purchases up to the program's `points.max_purchase`; above
    it, a typo or a favour, a manager or owner must. Raises ManagerRequired."""
    if program.points is None or role >= Role.manager:
        return
    limit = program.points.purchase_limit
    if amount > limit:
        raise ManagerRequired(
            f"A purchase above {limit} {program.points.currency} needs a manager: "
            "ask a manager to sign in and record it."
        )


# --- tiers ---------------------------------------------------------------------


def _in_window(day: str, first: str) -> bool:
    # A lifetime total (kept while the program had no window) was not earned on a
    # known day, so no window counts it; as a string it would sort after every date.
    return day != LIFETIME and day >= first


def earned_in_window(earned_by_day: dict[str, int], today: date, window_days: int | None) -> int:
    """What was earned in the last `window_days` days including today (ever, when None)."""
    if window_days is None:
        return sum(earned_by_day.values())
    first = (today - timedelta(days=window_days - 1)).isoformat()
    return sum(n for day, n in earned_by_day.items() if _in_window(day, first))


def prune_days(
    earned_by_day: dict[str, int], today: date, window_days: int | None
) -> dict[str, int]:
    """Forget days that no window will count again (lifetime keeps a running total)."""
    if window_days is None:
        total = sum(earned_by_day.values())
        return {LIFETIME: total} if total else {}
    first = (today - timedelta(days=window_days - 1)).isoformat()
    return {day: n for day, n in earned_by_day.items() if _in_window(day, first) and n}


def tier_for(tiers: Sequence[Tier], earned: int) -> Tier | None:
    """The highest tier whose threshold `earned` reaches; None below every threshold."""
    reached = [tier for tier in tiers if earned >= tier.threshold]
    return max(reached, key=lambda tier: tier.threshold) if reached else None


def review_tier(card: Card, program: Program, today: date) -> Card:
    """Re-qualify the card: promotion is immediate and demotion follows the window.

    The scheduled tier review applies this same rule every day.
    """
    if not program.tiers:
        return replace(card, tier=None)
    earned = earned_in_window(card.earned_by_day, today, program.tier_window_days)
    tier = tier_for(program.tiers, earned)
    return replace(card, tier=tier.name if tier else None)


def _multiplier(card: Card, program: Program, today: date) -> Decimal:
    tier = tier_for(
        program.tiers, earned_in_window(card.earned_by_day, today, program.tier_window_days)
    )
    return Decimal(tier.multiplier) if tier else Decimal(1)


def _earn(card: Card, amount: int, day: str, program: Program, today: date) -> Card:
    key = day if program.tier_window_days is not None else LIFETIME
    days = dict(card.earned_by_day)
    days[key] = days.get(key, 0) + amount
    card = replace(
        card,
        earned_by_day=prune_days(days, today, program.tier_window_days),
        lifetime_earned=card.lifetime_earned + amount,
    )
    return review_tier(card, program, today)


# --- limits --------------------------------------------------------------------


def check_limits(card: Card, program: Program, moment: Moment) -> Card:
    """Refuse an earning scan within the cooldown or over the daily maximum.

    Raises ScanLimit with the seconds to wait; returns the card with this scan counted.
    """
    limits = program.limits
    today = moment.today.isoformat()
    scans_today = card.scans_on_day if card.scan_day == today else 0
    if limits is not None:
        if limits.cooldown_seconds and card.last_scan_at is not None:
            waited = (moment.now - card.last_scan_at).total_seconds()
            if waited < limits.cooldown_seconds:
                raise ScanLimit(
                    "This card was scanned moments ago: wait before adding more.",
                    retry_after=math.ceil(limits.cooldown_seconds - waited),
                )
        if limits.max_per_day is not None and scans_today >= limits.max_per_day:
            raise ScanLimit(
                "This card has reached today's limit of scans.",
                retry_after=max(1, math.ceil(seconds_to_local_midnight(moment))),
            )
    return replace(card, last_scan_at=moment.now, scan_day=today, scans_on_day=scans_today + 1)


def seconds_to_local_midnight(moment: Moment) -> float:
    """Seconds from `now` to the midnight that ends `today` in the merchant's zone."""
    midnight = datetime.combine(moment.today + timedelta(days=1), time(), tzinfo=moment.zone)
    now = moment.now if moment.now.tzinfo is not None else moment.now.replace(tzinfo=UTC)
    # Both in UTC: subtracting two datetimes of one zone ignores a DST change between them.
    return (midnight.astimezone(UTC) - now.astimezone(UTC)).total_seconds()


# --- balance changes -----------------------------------------------------------


def _reward(program: Program, name: str, source: str, txn: str, new_id: NewId, m: Moment) -> Reward:
    expires = None
    if program.reward_valid_days:
        expires = iso(m.now + timedelta(days=program.reward_valid_days))
    return Reward(new_id(), name, source, txn, m.iso, expires)


def stamp(
    card: Card, program: Program, count: int, txn: str, new_id: NewId, moment: Moment
) -> Outcome:
    """Add stamps; each completed card unlocks the program's reward."""
    assert program.stamps is not None
    required = program.stamps.required
    if not 1 <= count <= 5 * required:
        raise Invalid(f"count: must be between 1 and {5 * required}", field="count")
    card = check_limits(card, program, moment)
    stamps, unlocked = add_stamps(card.stamps, count, required)
    rewards = tuple(
        _reward(program, program.stamps.reward.name, "stamps", txn, new_id, moment)
        for _ in range(unlocked)
    )
    after = replace(card, stamps=stamps, rewards=card.rewards + rewards)
    after = _earn(after, count, moment.today.isoformat(), program, moment.today)
    return Outcome(
        after,
        stamps - card.stamps,
        0,
        earned=count,
        stamps_added=count,
        rewards_unlocked=rewards,
    )


def purchase(
    card: Card,
    program: Program,
    amount: Decimal,
    currency: str,
    txn: str,
    new_id: NewId,
    moment: Moment,
) -> Outcome:
    """Earn by a purchase: points by the earn rate and tier, or one stamp (a visit)."""
    if program.kind == "stamps":
        outcome = stamp(card, program, 1, txn, new_id, moment)
        return replace(
            outcome, detail={**outcome.detail, "amount": str(amount), "currency": currency}
        )
    assert program.points is not None
    card = check_limits(card, program, moment)
    multiplier = _multiplier(card, program, moment.today)
    points = points_for(amount, Decimal(program.points.per_unit), multiplier)
    base = points_for(amount, Decimal(program.points.per_unit), Decimal(1))
    after = replace(card, points=card.points + points)
    if points:
        after = _earn(after, points, moment.today.isoformat(), program, moment.today)
    return Outcome(
        after,
        0,
        points,
        earned=points,
        points_added=points,
        given=breakdown(0, base) + ((Given("tier", 0, points - base),) if points > base else ()),
        detail={"amount": str(amount), "currency": currency, "multiplier": str(multiplier)},
    )


def redeem_reward(card: Card, reward_id: str, moment: Moment) -> Outcome:
    """Spend a reward that is ready. Anything else (used, expired, not theirs) is refused."""
    reward = next((r for r in card.rewards if r.reward_id == reward_id), None)
    if reward is None or not reward.available(moment.iso):
        raise RewardNotAvailable("This reward is not available on this card.")
    after = replace(card, rewards=tuple(r for r in card.rewards if r.reward_id != reward_id))
    return Outcome(after, 0, 0, rewards_removed=(reward,), reward_spent=reward)


def redeem_item(card: Card, program: Program, item_id: str, moment: Moment) -> Outcome:
    """Spend points on a catalog item."""
    catalog = program.points.catalog if program.points else []
    item = next((i for i in catalog if i.id == item_id), None)
    if item is None:
        raise RewardNotAvailable("This program's catalog has no such item.")
    if card.points < item.cost:
        raise InsufficientBalance(
            f"{item.name} costs {item.cost} points; this card has {card.points}."
        )
    spent = Reward(item.id, item.name, "catalog", "", moment.iso)
    return Outcome(
        replace(card, points=card.points - item.cost),
        0,
        -item.cost,
        reward_spent=spent,
        detail={"catalog_item_id": item.id, "cost": item.cost},
    )


def welcome(
    card: Card, program: Program, txn: str, new_id: NewId, moment: Moment
) -> Outcome | None:
    """The welcome gift at enrolment, when the program has one (no scan limits apply)."""
    if program.welcome is None:
        return None
    if program.welcome.points:
        after = replace(card, points=card.points + program.welcome.points)
        return Outcome(after, 0, program.welcome.points, points_added=program.welcome.points)
    assert program.stamps is not None
    count = program.welcome.stamps or 0
    stamps, unlocked = add_stamps(card.stamps, count, program.stamps.required)
    rewards = tuple(
        _reward(program, program.stamps.reward.name, "stamps", txn, new_id, moment)
        for _ in range(unlocked)
    )
    after = replace(card, stamps=stamps, rewards=card.rewards + rewards)
    return Outcome(after, stamps - card.stamps, 0, stamps_added=count, rewards_unlocked=rewards)


@dataclass(frozen=True)
class Original:
    """What a void needs of the transaction it reverses."""

    type: str
    stamps: int
    points: int
    earned: int
    day: str
    rewards_unlocked: tuple[Reward, ...]
    reward_spent: Reward | None
    stamps_added: int


def void(card: Card, program: Program, original: Original, moment: Moment) -> Outcome:
    """Reverse a transaction with a compensating entry.

    Rewards it unlocked are taken back (RewardAlreadyRedeemed when one that must go
    back was used); a spent reward or spent points are given back; earnings leave
    the tier window.
    """
    if original.type == "void":
        raise Conflict("A void cannot itself be voided.")
    rewards = list(card.rewards)
    taken: list[Reward] = []
    if original.stamps_added:
        # Take the stamps off; each card this transaction completed is put back
        # unless later stamps would have completed it anyway (then the reward stays).
        required = program.stamps.required if program.stamps else 1
        stamps = card.stamps - original.stamps_added
        # The rewards still on the card go back first: when only some must, a used
        # one can stay among those the later stamps would have earned anyway.
        held_ids = {r.reward_id for r in rewards}
        unlocked = sorted(original.rewards_unlocked, key=lambda r: r.reward_id not in held_ids)
        for reward in unlocked:
            if stamps >= 0:
                continue
            held = next((r for r in rewards if r.reward_id == reward.reward_id), None)
            if held is None:
                raise RewardAlreadyRedeemed(
                    "A reward this transaction unlocked was already used: void that first."
                )
            rewards.remove(held)
            taken.append(held)
            stamps += required
    else:
        stamps = card.stamps - original.stamps
    if stamps < 0:
        raise InsufficientBalance("The stamps this transaction added were already used.")
    points = card.points - original.points
    if points < 0:
        raise InsufficientBalance("The points this transaction added were already spent.")
    if original.reward_spent is not None and original.reward_spent.source != "catalog":
        rewards.append(original.reward_spent)
    days = dict(card.earned_by_day)
    key = original.day if original.day in days else LIFETIME
    if original.earned and key in days:
        days[key] = max(0, days[key] - original.earned)
    after = replace(
        card,
        stamps=stamps,
        points=points,
        rewards=tuple(rewards),
        earned_by_day=prune_days(days, moment.today, program.tier_window_days),
        lifetime_earned=max(0, card.lifetime_earned - original.earned),
    )
    after = review_tier(after, program, moment.today)
    return Outcome(
        after,
        stamps - card.stamps,
        points - card.points,
        earned=-original.earned,
        rewards_removed=tuple(taken),
        detail={"rewards_taken_back": [r.reward_id for r in taken]},
    )


def breakdown(stamps_added: int, points_added: int) -> tuple[Given, ...]:
    """What was given, all at the program's base rate (nothing given: no part)."""
    return (Given("base", stamps_added, points_added),) if stamps_added or points_added else ()


def given_of(outcome: Outcome) -> tuple[Given, ...]:
    """Why the outcome gave what it gave; a rule that names no source gave at `base`."""
    return outcome.given or breakdown(outcome.stamps_added, outcome.points_added)


def stats_of(
    type_: TransactionType,
    outcome: Outcome,
    stamps_required: int,
    voided_stats: dict[str, int] | None = None,
) -> dict[str, int]:
    """What an entry adds to the day's statistics; a void takes its original's back."""
    if voided_stats is not None:
        return {name: -value for name, value in voided_stats.items()}
    stats = {
        "stamps_issued": outcome.stamps_added,
        "points_issued": outcome.points_added,
        "rewards_unlocked": len(outcome.rewards_unlocked),
    }
    if type_ == "redemption":
        stats["rewards_redeemed"] = 1
        stats["points_redeemed"] = max(0, -outcome.points)
        if outcome.reward_spent is not None and outcome.reward_spent.source == "stamps":
            stats["stamps_redeemed"] = stamps_required
    return {name: value for name, value in stats.items() if value}
