"""Between member items and the rules' plain data."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from pynamodb.expressions.update import Action

from chalicelib import clock
from chalicelib.domain import instants, pass_seconds, shards
from chalicelib.domain.ledger import Card, Moment, Outcome, Reward, given_of
from chalicelib.store.models import (
    MemberItem,
    OutboxItem,
    ProgramItem,
    RewardMap,
    StatItem,
    TransactionItem,
)


def card_of(member: MemberItem) -> Card:
    return Card(
        stamps=int(member.stamps),
        points=int(member.points),
        tier=member.tier,
        rewards=tuple(reward_from_json(r.as_dict()) for r in member.rewards or []),
        earned_by_day=json.loads(member.earned_by_day or "{}"),
        lifetime_earned=int(member.lifetime_earned or 0),
        last_scan_at=clock.parse_iso(member.last_scan_at) if member.last_scan_at else None,
        scan_day=member.scan_day,
        scans_on_day=int(member.scans_on_day or 0),
    )


def reward_json(reward: Reward) -> dict[str, Any]:
    return asdict(reward)


def reward_from_json(data: dict[str, Any]) -> Reward:
    return Reward(**data)


def reward_maps(rewards: tuple[Reward, ...]) -> list[RewardMap]:
    return [RewardMap(**asdict(r)) for r in rewards]


def entry_item(
    member: MemberItem,
    type_: str,
    transaction_id: str,
    outcome: Outcome,
    moment: Moment,
    stats: dict[str, int],
    staff_id: str | None = None,
    location_id: str | None = None,
    voids: str | None = None,
    reason: str | None = None,
) -> TransactionItem:
    """The ledger entry for an outcome; it keeps what a later void needs (and a void's reason)."""
    spent = outcome.reward_spent
    said = {"reason": reason} if reason else {}
    return TransactionItem(
        member.member_id,
        f"{moment.iso}#{transaction_id}",
        transaction_id=transaction_id,
        merchant_id=member.merchant_id,
        program_id=member.program_id,
        type=type_,
        stamps=outcome.stamps,
        points=outcome.points,
        earned=outcome.earned,
        day=moment.today.isoformat(),
        created_at=moment.iso,
        staff_id=staff_id,
        location_id=location_id,
        voided=False,
        voids=voids,
        rewards_unlocked=json.dumps([reward_json(r) for r in outcome.rewards_unlocked]),
        reward_spent=json.dumps(reward_json(spent)) if spent else None,
        # `stamps_added` is also what a later void takes back (services.ledger._original).
        detail=json.dumps(
            {
                **outcome.detail,
                "stamps_added": outcome.stamps_added,
                "points_added": outcome.points_added,
                "breakdown": [asdict(part) for part in given_of(outcome)],
                "stats": stats,
                **said,
            }
        ),
    )


OUTBOX_SHARDS = 16
# Changes to one pass within this window give one push (the phone fetches the latest).
COALESCE_SECONDS = 2


def outbox_shard(key: str) -> int:
    return shards.shard(key, OUTBOX_SHARDS)


def outbox_actions(
    kind: str,
    program_id: str,
    merchant_id: str,
    version: int,
    reason: str,
    moment: Moment,
    member_id: str | None = None,
    notify: bool = False,
) -> list[Action]:
    """Set (or coalesce into) the outbox item of a pass or a class.

    An update, not a put: a `notify` left by an earlier change survives a later one.
    """
    due = instants.iso(moment.now + timedelta(seconds=COALESCE_SECONDS))
    actions: list[Action] = [
        OutboxItem.kind.set(kind),
        OutboxItem.program_id.set(program_id),
        OutboxItem.merchant_id.set(merchant_id),
        OutboxItem.version.set(version),
        OutboxItem.reason.set(reason),
        OutboxItem.created_at.set(OutboxItem.created_at | moment.iso),
        OutboxItem.due_at.set(due),
        OutboxItem.shard.set(outbox_shard(f"{kind}#{member_id or program_id}")),
        OutboxItem.attempts.set(0),
    ]
    if member_id is not None:
        actions.append(OutboxItem.member_id.set(member_id))
    if notify:
        actions += [OutboxItem.notify.set(True), OutboxItem.notify_version.set(version)]
    return actions


def pass_outbox(
    tx: Any, member: MemberItem, version: int, reason: str, moment: Moment, notify: bool = False
) -> None:
    """Add to `tx` the pass update a member's change owes the phones and Google."""
    tx.update(
        OutboxItem(f"pass#{member.member_id}"),
        actions=outbox_actions(
            "pass",
            member.program_id,
            member.merchant_id,
            version,
            reason,
            moment,
            member_id=member.member_id,
            notify=notify,
        ),
        name="outbox",
    )


def last_modified(member: MemberItem, program_item: ProgramItem) -> int:
    """The pass's Last-Modified second: its own changes and its program's design."""
    return pass_seconds.served(*_seconds(member, program_item))


def pass_changed(member: MemberItem, program_item: ProgramItem, moment: Moment) -> list[Action]:
    """The member's actions that make its pass's Last-Modified rise past the one served.

    `program_item` may be a cached read: the second recorded is the one used."""
    now = int(moment.now.timestamp())
    return [
        MemberItem.pass_second.set(pass_seconds.next_member(*_seconds(member, program_item), now)),
        MemberItem.program_second.set(int(program_item.pass_second or 0)),
    ]


def _seconds(member: MemberItem, program_item: ProgramItem) -> tuple[int, int, int | None]:
    seen = member.program_second
    return (
        int(member.pass_second or 0),
        int(program_item.pass_second or 0),
        int(seen) if seen is not None else None,
    )


# A stat item's sort key is the day, or `<day>#<location_id>` for what staff of a
# location did: one item per write either way, and a program's totals stay one Query
# per shard over the days' range (`<day>` sorts before `<day>#...`, `#` before `$`).
LOCATION_SEPARATOR = "#"
_AFTER_LOCATIONS = "$"


def stat_day_key(day: str, location_id: str | None) -> str:
    return f"{day}{LOCATION_SEPARATOR}{location_id}" if location_id else day


def stat_range(first: str, last: str) -> tuple[str, str]:
    """The sort-key range holding every stat item of the days first..last, any location."""
    return first, last + _AFTER_LOCATIONS


def stat_key_parts(key: str) -> tuple[str, str | None]:
    """(day, location_id or None) of a stat item's sort key."""
    day, _, location = key.partition(LOCATION_SEPARATOR)
    return day, location or None


def stat_actions(stats: dict[str, int], first_today: bool) -> list[Action]:
    actions = [getattr(StatItem, name).add(n) for name, n in stats.items()]
    # Always at least one action, so that a transaction keeps its operation indices.
    actions.append(StatItem.active_members.add(1 if first_today else 0))
    return actions
