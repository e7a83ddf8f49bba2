"""Read-side reports: a program's daily statistics and the stamping alerts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from chalicelib.errors import Invalid
from chalicelib.services.auth import Principal
from chalicelib.services.members import STAT_SHARDS
from chalicelib.services.moments import moment_for
from chalicelib.services.programs import load_program, program_of
from chalicelib.store.convert import stat_key_parts, stat_range
from chalicelib.store.models import StaffDayItem, StaffItem, StatItem

COUNTERS = (
    "enrolments",
    "active_members",
    "stamps_issued",
    "stamps_redeemed",
    "points_issued",
    "points_redeemed",
    "rewards_unlocked",
    "rewards_redeemed",
)

ALERT_HISTORY_DAYS = 28
ALERT_RATIO = 3.0
ALERT_MINIMUM = 20  # stamps in a day below which nobody is flagged
ALERT_NEW_STAFF = 60  # stamps in a day that flag an account with no history


DEFAULT_PERIOD_DAYS = 30


def stats_period(principal: Principal, first: date | None, last: date | None) -> tuple[date, date]:
    """The days a statistics read covers: `to` defaults to the merchant's local today,
    `from` to DEFAULT_PERIOD_DAYS days ending on `to`."""
    if last is None:
        last = moment_for(principal.merchant_id).today
    if first is None:
        first = last - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    return first, last


def program_stats(
    principal: Principal,
    program_id: str,
    first: date,
    last: date,
    location_id: str | None = None,
) -> dict[str, Any]:
    """Every day from `first` to `last`: the sum of the program's counter shards, every
    location's included; with `location_id`, only what that location's staff did.

    Raises Invalid for a location the program does not have.
    """
    program = program_of(load_program(program_id, principal.merchant_id))
    if location_id is not None and program.location(location_id) is None:
        raise Invalid("location_id: not a location of this program", field="location_id")
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    low, high = stat_range(first.isoformat(), last.isoformat())
    for shard in range(STAT_SHARDS):
        for item in StatItem.query(f"{program_id}#{shard}", StatItem.day.between(low, high)):
            day_key, place = stat_key_parts(item.day)
            if location_id is not None and place != location_id:
                continue
            day = totals[day_key]
            for name in COUNTERS:
                day[name] += int(getattr(item, name) or 0)
    days = []
    current = first
    while current <= last:
        days.append({"day": current.isoformat(), **totals[current.isoformat()]})
        current += timedelta(days=1)
    return {
        "program_id": program_id,
        "location_id": location_id,
        "members": sum(day["enrolments"] for day in days),
        "days": days,
    }


def stamping_alerts(principal: Principal) -> list[dict[str, Any]]:
    """Accounts whose stamps today are far above their usual working day."""
    today = moment_for(principal.merchant_id).today
    first = today - timedelta(days=ALERT_HISTORY_DAYS)
    by_staff: dict[str, dict[str, StaffDayItem]] = defaultdict(dict)
    for item in StaffDayItem.by_merchant.query(
        principal.merchant_id, StaffDayItem.day.between(first.isoformat(), today.isoformat())
    ):
        by_staff[item.staff_id][item.day] = item
    flagged = []
    for staff_id, days in by_staff.items():
        now = days.get(today.isoformat())
        if now is None or int(now.stamps) < ALERT_MINIMUM:
            continue
        history = [
            int(d.stamps) for day, d in days.items() if day != today.isoformat() and d.stamps
        ]
        usual = sum(history) / len(history) if history else 0.0
        ratio = int(now.stamps) / usual if usual else None
        if (ratio is not None and ratio >= ALERT_RATIO) or (
            ratio is None and int(now.stamps) >= ALERT_NEW_STAFF
        ):
            flagged.append((staff_id, now, usual, ratio))
    names = {s.staff_id: s.name for s in StaffItem.batch_get([f[0] for f in flagged])}
    return [
        {
            "staff_id": staff_id,
            "name": names.get(staff_id),
            "today": {
                "stamps": int(now.stamps),
                "points": int(now.points),
                "scans": int(now.scans),
            },
            "usual_stamps": round(usual, 2),
            "ratio": round(ratio, 2) if ratio is not None else None,
        }
        for staff_id, now, usual, ratio in sorted(flagged, key=lambda f: -int(f[1].stamps))
    ]
