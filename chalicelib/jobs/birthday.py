"""The daily birthday treats: `<MM-DD>` (and 29 February on 28 February off leap years)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from chalicelib.domain.expiry import birthdays_on
from chalicelib.jobs import runner
from chalicelib.services import scheduled
from chalicelib.store.models import MemberItem

JOB = runner.Job(
    name="birthday",
    index=MemberItem.by_birthday,
    hash_attr="birthday_key",
    range_attr="birthday_offset",
    keys=birthdays_on,
    handle=scheduled.grant_birthday,
    catch_up_days=1,
)


def run(now: datetime | None = None, **options: Any) -> Counter[str]:
    return runner.run(JOB, now, **options)
