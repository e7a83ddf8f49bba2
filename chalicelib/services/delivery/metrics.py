"""What delivery did in this process, and how far behind the outbox is."""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib import clock
from chalicelib.root import per_root
from chalicelib.store.convert import OUTBOX_SHARDS
from chalicelib.store.models import OutboxItem


@per_root
def stats() -> Counter[str]:
    """What delivery did in this process, per outcome: for /v1/health and the logs."""
    return Counter()


# The backlog's count stops here: a health check or the sweeper's metric never reads
# more of a long backlog than this (a COUNT Query still reads what it counts).
BACKLOG_COUNT_LIMIT = 1000


def backlog() -> dict[str, Any]:
    """How much is pending (counted up to BACKLOG_COUNT_LIMIT) and how long it has waited.

    Per shard: a COUNT Query bounded by what is left of the limit, and the item next
    due (a Query of one). `oldest_age_seconds` is the age of the oldest of those
    next-due items: what the delivery is behind by, without walking every item.
    """
    count, oldest = 0, None
    for shard in range(OUTBOX_SHARDS):
        if (left := BACKLOG_COUNT_LIMIT - count) > 0:
            # DynamoDB stops counting at Limit; moto counts the whole shard: clamp for both.
            count += min(left, OutboxItem.pending.count(shard, limit=left))
        for item in OutboxItem.pending.query(shard, limit=1):
            if oldest is None or item.created_at < oldest:
                oldest = item.created_at
    age = None
    if oldest is not None:
        age = max(0.0, (clock.now() - clock.parse_iso(oldest)).total_seconds())
    return {
        "pending": count,
        "pending_capped": count >= BACKLOG_COUNT_LIMIT,
        "oldest_age_seconds": age,
        "outcomes": dict(stats()),
    }
