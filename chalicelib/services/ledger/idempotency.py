"""Idempotency: a change's key, its request hash, the record of its first answer, replays.

The record is written in the change's own transaction (engine._build's "idempotency"
operation, on the condition it does not exist), so a key answers once and forever
after with that first answer, or 409 for another body under the same key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib.config import settings
from chalicelib.domain.ledger import Moment
from chalicelib.errors import IdempotencyKeyReused, NotFound
from chalicelib.services.members import member_view
from chalicelib.store.models import IdempotencyItem, MemberItem


@dataclass(frozen=True)
class Receipt:
    """A change's answer: what the route returns, and what a replay of its key returns."""

    status: int
    body: dict[str, Any]


def record_key(merchant_id: str, idempotency_key: str) -> str:
    """Keys are the merchant's own: two merchants' tills may use the same key."""
    return f"{merchant_id}#{idempotency_key}"


def request_hash(type_: str, member_id: str, body: dict[str, Any]) -> str:
    """What makes two requests under one key the same request (the key itself aside)."""
    body = {k: v for k, v in body.items() if k != "idempotency_key"}
    text = json.dumps([type_, member_id, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# The member's personal data in an answer. It is never stored in the idempotency
# record: a replay fills it in from the member read beside the record, so erasure
# has nothing to scrub there and an erased member's replay is a 404.
PERSONAL = ("name",)


def _stored(body: dict[str, Any]) -> str:
    member = {k: v for k, v in body["member"].items() if k not in PERSONAL}
    return json.dumps({**body, "member": member}, separators=(",", ":"))


def record(key: str, digest: str, receipt: Receipt, moment: Moment) -> IdempotencyItem:
    """The record of a change's first answer, without its personal data."""
    return IdempotencyItem(
        key,
        request_hash=digest,
        status_code=receipt.status,
        response=_stored(receipt.body),
        created_at=moment.iso,
        expires_at=moment.now + timedelta(days=settings().idempotency_days),
    )


def replay(
    first: IdempotencyItem, digest: str, member: MemberItem | None, merchant_id: str
) -> Receipt:
    """The first answer again, with the member's personal data as it is now."""
    if first.request_hash != digest:
        raise IdempotencyKeyReused(
            "This idempotency key was used for a different request: use a new key."
        )
    if member is None or member.merchant_id != merchant_id or member.erased:
        raise NotFound("No such member.")
    body = json.loads(first.response)
    live = member_view(member)
    body["member"] = {**body["member"], **{k: live[k] for k in PERSONAL}}
    return Receipt(int(first.status_code), body)
