"""Expiry, warnings, birthdays and the days a member is next due, as pure functions.

Points are kept in lots, one per expiry date, each with the date it was earned and
the last day it is valid. A lot's expiry is decided when its points are earned, under
the rules of that day: a later change of the rules never shortens it (README,
"Expiry"). Spending takes the points that expire first (the oldest, under one rule).

    earned ─────────── warning (expires_on - warning_days) ─── expires_on ─┐ next day
    lot added           the pass shows "120 points expire on 31 Dec"       valid │ removed

The caller passes the dates and time zones; nothing is looked up here.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo

from chalicelib.domain import shards
from chalicelib.domain.instants import iso, parse_iso
from chalicelib.domain.ledger import LIFETIME, Card, Outcome, Reward
from chalicelib.domain.program import Expiry

DEFAULT_WARNING_DAYS = 7
# Members are spread over this many index partitions per day, so that no key is hot.
SHARDS = 16


@dataclass(frozen=True, order=True)
class Lot:
    """Points earned together that expire together; `expires_on` is the last valid day."""

    expires_on: date | None  # None: never
    earned_on: date | None  # None: points from before lots were kept
    points: int


def _sort_key(lot: Lot) -> tuple[date, date]:
    return (lot.expires_on or date.max, lot.earned_on or date.min)


# --- lots ------------------------------------------------------------------------


def expires_on(rule: Expiry | None, earned: date) -> date | None:
    """The last day points earned on `earned` are valid, under `rule`."""
    if rule is None or rule.mode == "never":
        return None
    if rule.mode in ("after_days", "inactivity_days"):
        assert rule.days is not None
        return earned + timedelta(days=rule.days)
    if rule.mode == "end_of_month":
        return earned.replace(day=calendar.monthrange(earned.year, earned.month)[1])
    return earned.replace(month=12, day=31)  # end_of_year


def _merge(lots: Iterable[Lot]) -> tuple[Lot, ...]:
    merged: dict[date | None, Lot] = {}
    for lot in lots:
        if lot.points <= 0:
            continue
        same = merged.get(lot.expires_on)
        if same is None:
            merged[lot.expires_on] = lot
        else:
            first = min((d for d in (same.earned_on, lot.earned_on) if d is not None), default=None)
            merged[lot.expires_on] = Lot(lot.expires_on, first, same.points + lot.points)
    return tuple(sorted(merged.values(), key=_sort_key))


def consume(lots: Sequence[Lot], points: int) -> tuple[Lot, ...]:
    """Take `points` from the lots that expire first (the oldest first)."""
    left, kept = points, []
    for lot in sorted(lots, key=_sort_key):
        taken = min(left, lot.points)
        left -= taken
        if lot.points - taken:
            kept.append(Lot(lot.expires_on, lot.earned_on, lot.points - taken))
    return _merge(kept)


def reconcile(lots: Sequence[Lot], balance: int) -> tuple[Lot, ...]:
    """Lots that add up to `balance`: points from before lots were kept never expire."""
    total = sum(lot.points for lot in lots)
    if total > balance:
        return consume(lots, total - balance)
    if total < balance:
        return _merge([*lots, Lot(None, None, balance - total)])
    return _merge(lots)


def settle(
    lots: Sequence[Lot],
    delta: int,
    balance_before: int,
    today: date,
    rule: Expiry | None,
    activity: bool,
) -> tuple[Lot, ...]:
    """The lots after a change of `delta` points on `today`.

    Earned points make a lot expiring under today's rule; spent points leave the
    lots that expire first. Under `inactivity_days`, a member's own transaction
    (`activity`) moves every lot's expiry to N days from today, never earlier.
    """
    lots = reconcile(lots, balance_before)
    if delta > 0:
        lots = _merge([*lots, Lot(expires_on(rule, today), today, delta)])
    elif delta < 0:
        lots = consume(lots, -delta)
    if activity and rule is not None and rule.mode == "inactivity_days":
        until = expires_on(rule, today)
        assert until is not None
        lots = _merge(
            Lot(max(lot.expires_on, until) if lot.expires_on else None, lot.earned_on, lot.points)
            for lot in lots
        )
    return lots


def expired(lots: Sequence[Lot], today: date) -> int:
    """Points whose last valid day is before `today`."""
    return sum(lot.points for lot in lots if lot.expires_on is not None and lot.expires_on < today)


def expired_rewards(rewards: Sequence[Reward], now_iso: str) -> tuple[Reward, ...]:
    return tuple(r for r in rewards if not r.available(now_iso))


def expire(card: Card, lots: Sequence[Lot], today: date, now_iso: str) -> Outcome:
    """The `expiry` transaction: points past their last day and rewards past `expires_at` go."""
    points = min(expired(lots, today), card.points)
    gone = expired_rewards(card.rewards, now_iso)
    after = replace(
        card, points=card.points - points, rewards=tuple(r for r in card.rewards if r not in gone)
    )
    return Outcome(
        after,
        0,
        -points,
        rewards_removed=gone,
        detail={"points_expired": points, "rewards_expired": [r.reward_id for r in gone]},
    )


def warning_days(rule: Expiry | None) -> int:
    days = getattr(rule, "warning_days", None)
    return DEFAULT_WARNING_DAYS if days is None else int(days)


def expiring(lots: Sequence[Lot], today: date, days: int) -> tuple[int, date] | None:
    """The points that expire first within `days` of `today`, and their day (or None):
    what the pass warns of, worded in the member's language at the edge."""
    soon = [
        lot
        for lot in lots
        if lot.expires_on is not None and today <= lot.expires_on <= today + timedelta(days=days)
    ]
    if not soon:
        return None
    first = min(lot.expires_on for lot in soon if lot.expires_on is not None)
    return sum(lot.points for lot in soon if lot.expires_on == first), first


def notice(lots: Sequence[Lot], today: date, days: int) -> str | None:
    """The pass's warning, e.g. "120 points expire on 31 Dec", within `days` of the date."""
    soon = expiring(lots, today, days)
    if soon is None:
        return None
    points, first = soon
    unit = "point expires" if points == 1 else "points expire"
    return f"{points} {unit} on {first.day} {first:%b}"


def next_due(
    lots: Sequence[Lot],
    reward_days: Iterable[date],
    today: date,
    days: int,
) -> date | None:
    """The next local day the expiry job has something to do for this member.

    A lot is removed the day after its last valid day; its warning is due
    `days` before that day (a warning day already reached was shown by the pass
    update of the change computing this). A reward goes the day after the local
    day it expires on. Anything overdue is due today.
    """
    candidates = []
    for lot in lots:
        if lot.expires_on is None or lot.points <= 0:
            continue
        candidates.append(max(lot.expires_on + timedelta(days=1), today))
        warn = lot.expires_on - timedelta(days=days)
        if warn > today:
            candidates.append(warn)
    candidates.extend(max(day + timedelta(days=1), today) for day in reward_days)
    return min(candidates, default=None)


def local_day(instant: str, zone: tzinfo) -> date:
    """The merchant-local day of an RFC 3339 UTC instant."""
    return parse_iso(instant).astimezone(zone).date()


# --- tiers -----------------------------------------------------------------------


def tier_due(
    tier: str | None, earned_by_day: dict[str, int], today: date, window: int | None
) -> date | None:
    """The next day a held tier may drop: the day the oldest earning leaves the window."""
    if tier is None or window is None:
        return None
    days = [date.fromisoformat(d) for d, n in earned_by_day.items() if d != LIFETIME and n]
    if not days:
        return today
    return max(min(days) + timedelta(days=window), today)


# --- birthdays -------------------------------------------------------------------


def birthday_month_day(birthday: str | None) -> str | None:
    """`MM-DD` of a birthday given as `MM-DD` or `YYYY-MM-DD`; None when absent."""
    if not birthday:
        return None
    return birthday[-5:]


def birthdays_on(day: date) -> tuple[str, ...]:
    """The `MM-DD` birthdays celebrated on `day`: 29 February on 28 February off leap years."""
    keys = [f"{day:%m-%d}"]
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
        keys.append("02-29")
    return tuple(keys)


def is_birthday(birthday: str | None, day: date) -> bool:
    month_day = birthday_month_day(birthday)
    return month_day is not None and month_day in birthdays_on(day)


def birthday_reward(
    name: str, valid_days: int, txn: str, reward_id: str, day: date, zone: tzinfo
) -> Reward:
    """The birthday treat: valid through the end of the `valid_days`th local day."""
    until = datetime.combine(day + timedelta(days=valid_days), time(), tzinfo=zone)
    start = datetime.combine(day, time(), tzinfo=zone)
    return Reward(
        reward_id,
        f"Happy birthday! {name}",
        "birthday",
        txn,
        iso(start),
        iso(until),
    )


# --- index keys --------------------------------------------------------------------


def shard_of(member_id: str) -> int:
    return shards.shard(member_id, SHARDS)


def utc_offset_minutes(zone: tzinfo, day: date) -> int:
    """The zone's offset from UTC on `day` (at noon), in minutes."""
    offset = datetime.combine(day, time(12), tzinfo=zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


# --- storage form ------------------------------------------------------------------


def lots_to_json(lots: Sequence[Lot]) -> str:
    return json.dumps(
        [
            [
                lot.expires_on.isoformat() if lot.expires_on else None,
                lot.earned_on.isoformat() if lot.earned_on else None,
                lot.points,
            ]
            for lot in lots
        ],
        separators=(",", ":"),
    )


def lots_from_json(text: str | None) -> tuple[Lot, ...]:
    return tuple(
        Lot(
            date.fromisoformat(e) if e else None,
            date.fromisoformat(o) if o else None,
            int(n),
        )
        for e, o, n in json.loads(text or "[]")
    )
