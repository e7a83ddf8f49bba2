"""The ledger's API documents (API.md): a transaction, a reward, a change's answer.

They live with the ledger, not in web/: the idempotency record keeps a change's first
answer whole (the engine renders it before the transaction that stores it, for the
routes and the scheduled jobs alike), so rendering is part of the exactly-once write.
A route rendering it instead would change what is stored and what a replay returns.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from chalicelib.domain import ledger
from chalicelib.domain.ledger import Reward
from chalicelib.services.members import member_view
from chalicelib.store.convert import reward_from_json
from chalicelib.store.models import MemberItem, TransactionItem


def reward_doc(reward: Reward) -> dict[str, Any]:
    return {"reward_id": reward.reward_id, "name": reward.name, "expires_at": reward.expires_at}


def transaction_doc(item: TransactionItem, staff_name: str | None = None) -> dict[str, Any]:
    """API.md's transaction document; `staff_name` is the name of the account that made it."""
    detail = json.loads(item.detail or "{}")
    stamps_added, points_added = _issued(detail)
    doc: dict[str, Any] = {
        "transaction_id": item.transaction_id,
        "type": item.type,
        "stamps": int(item.stamps),
        "points": int(item.points),
        "stamps_added": stamps_added,
        "points_added": points_added,
        # Entries written before the breakdown was kept gave all at the base rate.
        "breakdown": detail.get("breakdown")
        or [asdict(part) for part in ledger.breakdown(stamps_added, points_added)],
        "created_at": item.created_at,
        "staff_id": item.staff_id,
        "location_id": item.location_id,
        "voided": bool(item.voided),
        "rewards_unlocked": [
            reward_doc(reward_from_json(r)) for r in json.loads(item.rewards_unlocked)
        ],
        "reward": reward_doc(reward_from_json(json.loads(item.reward_spent)))
        if item.reward_spent
        else None,
        "voids": item.voids,
        "voided_by": item.voided_by,
        "member_id": item.member_id,
        "reason": detail.get("reason"),
        "staff_name": staff_name,
    }
    return doc


def _issued(detail: dict[str, Any]) -> tuple[int, int]:
    """The stamps and points an entry gave (a void's are its original's, taken back: 0)."""
    # Entries written before `points_added` was kept: the day's statistics counted
    # what they issued (negative for a void, which issues nothing).
    stats = detail.get("stats", {})
    stamps = detail.get("stamps_added", stats.get("stamps_issued", 0))
    points = detail.get("points_added", stats.get("points_issued", 0))
    return max(0, int(stamps)), max(0, int(points))


def change_doc(
    member: MemberItem,
    entry: TransactionItem,
    rewards_unlocked: tuple[Reward, ...] | list[Reward],
    now: datetime | None = None,
    staff_name: str | None = None,
) -> dict[str, Any]:
    """A balance change's answer: the member after it, its ledger entry, what it unlocked."""
    return {
        "member": member_view(member, now),
        "transaction": transaction_doc(entry, staff_name),
        "rewards_unlocked": [reward_doc(r) for r in rewards_unlocked],
    }
