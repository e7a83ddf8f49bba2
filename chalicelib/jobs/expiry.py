"""The daily expiry: points past their day, rewards past `expires_at`, warnings ahead."""

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
    name="expiry",
    index=MemberItem.by_expiry_due,
    hash_attr="expiry_key",
    range_attr="expiry_offset",
    keys=_keys,
    handle=scheduled.expire_member,
)


def run(now: datetime | None = None, **options: Any) -> Counter[str]:
    return runner.run(JOB, now, **options)
