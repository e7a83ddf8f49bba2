"""The member attributes the scheduled jobs find members by, kept in each balance change.

Every transaction that changes a member's points, rewards or tier sets these in
the same update (models.py, "the scheduled jobs' indexes"): the lots with their
expiry dates, and the next local day each job has something to do.
"""

from __future__ import annotations

from datetime import date, tzinfo

from pynamodb.expressions.update import Action

from chalicelib.domain import expiry
from chalicelib.domain.expiry import Lot
from chalicelib.domain.ledger import Card
from chalicelib.domain.program import Program
from chalicelib.store.models import MemberItem


def day_key(day: date | str, member_id: str) -> str:
    return f"{day if isinstance(day, str) else day.isoformat()}#{expiry.shard_of(member_id)}"


def due_values(
    member_id: str, lots: tuple[Lot, ...], card: Card, program: Program, today: date, zone: tzinfo
) -> dict[str, object]:
    """The lots and the expiry and tier-review keys (None: nothing due)."""
    reward_days = [expiry.local_day(r.expires_at, zone) for r in card.rewards if r.expires_at]
    due = expiry.next_due(lots, reward_days, today, expiry.warning_days(program.expiry))
    tier = expiry.tier_due(card.tier, card.earned_by_day, today, program.tier_window_days)
    return {
        "point_lots": expiry.lots_to_json(lots),
        "expiry_key": day_key(due, member_id) if due else None,
        "expiry_offset": expiry.utc_offset_minutes(zone, due) if due else None,
        "tier_key": day_key(tier, member_id) if tier and program.tiers else None,
        "tier_offset": expiry.utc_offset_minutes(zone, tier) if tier and program.tiers else None,
    }


def due_actions(values: dict[str, object]) -> list[Action]:
    """SET or REMOVE each of `due_values`."""
    actions = []
    for name, value in values.items():
        attribute = getattr(MemberItem, name)
        actions.append(attribute.set(value) if value is not None else attribute.remove())
    return actions


def birthday_values(member_id: str, birthday: str | None, zone: tzinfo) -> dict[str, object]:
    month_day = expiry.birthday_month_day(birthday)
    if month_day is None:
        return {"birthday_key": None, "birthday_offset": None}
    # The offset on the birthday itself (this year's; a leap day's 28 February is close).
    day = date(2000, int(month_day[:2]), int(month_day[3:]))
    return {
        "birthday_key": day_key(month_day, member_id),
        "birthday_offset": expiry.utc_offset_minutes(zone, day),
    }
