"""The daily tier review: members whose oldest earning leaves the tier window."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from chalicelib.jobs import runner
from chalicelib.services import scheduled
from chalicelib.store.models import MemberItem


def _keys(day: date) -> tuple[str, ...]:
    return (day.isoformat(),)


JOB = runner.Job(
    name="tiers",
    index=MemberItem.by_tier_due,
    hash_attr="tier_key",
    range_attr="tier_offset",
    keys=_keys,
    handle=scheduled.review_member_tier,
)


def run(now: datetime | None = None, **options: Any) -> Counter[str]:
    return runner.run(JOB, now, **options)
