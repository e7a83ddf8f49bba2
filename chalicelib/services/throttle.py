"""Counts per fixed window, for rate limits: failed sign-ins, enrolments, card emails.

Each limit counts in one item of `login_attempts` keyed `<name>#<window number>`,
which its TTL removes two windows later. A count is taken before the work it
guards, in one conditional update: a check and a later increment would let
every request sent at once through the check before any of them was counted.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.errors import TooManyRequests
from chalicelib.store import db
from chalicelib.store.models import LoginAttemptItem

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class Limit:
    """At most `limit` counts of `name` per `window_seconds`; 0 or less: no limit."""

    name: str
    limit: int
    window_seconds: int

    def key(self, now: int) -> str:
        return f"{self.name}#{now // self.window_seconds}"

    def retry_after(self, now: int) -> int:
        return self.window_seconds - now % self.window_seconds


def take(limits: Sequence[Limit], refusal: type[TooManyRequests], message: str) -> list[str]:
    """Count one against each limit, or none: raises `refusal` when any is reached.

    Returns the keys counted, for `give_back`.
    """
    counted, retry_after = _take(limits)
    if retry_after is not None:
        raise refusal(message, retry_after=retry_after)
    return counted


def try_take(limits: Sequence[Limit]) -> bool:
    """`take` for a caller that goes on either way: False when a limit is reached."""
    return _take(limits)[1] is None


def _take(limits: Sequence[Limit]) -> tuple[list[str], int | None]:
    now = int(time.time())
    counted: list[str] = []
    for limit in limits:
        if limit.limit <= 0:
            continue
        key = limit.key(now)
        if not _count(key, limit.limit, now + 2 * limit.window_seconds):
            give_back(counted)
            return [], limit.retry_after(now)
        counted.append(key)
    return counted, None


def give_back(keys: Sequence[str]) -> None:
    """Uncount what `take` counted (a sign-in that turned out right)."""
    for key in keys:
        LoginAttemptItem(key).update(actions=[LoginAttemptItem.failures.add(-1)])


def _count(key: str, limit: int, expires: int) -> bool:
    return db.update_if(
        LoginAttemptItem(key),
        [
            LoginAttemptItem.failures.add(1),
            LoginAttemptItem.window_start.set(int(time.time())),
            # A TTLAttribute takes a datetime (or a timedelta), not a Unix time.
            LoginAttemptItem.expires_at.set(datetime.fromtimestamp(expires, UTC)),
        ],
        LoginAttemptItem.failures.does_not_exist() | (LoginAttemptItem.failures < limit),
    )
