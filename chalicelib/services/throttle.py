"""Counted attempts per subject per fixed window: sign-in failures, card-number misses.

One small counter item per subject and window (`<prefix>#<subject>#<window>`) in
the `login_attempts` table, expired by its TTL. An attempt is counted before the
work it guards, in one conditional update, and given back when it turns out
not to be a failure: a check followed by a later increment lets every attempt
sent at once through the check before any of them is counted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.exceptions import UpdateError

from chalicelib.store.models import LoginAttemptItem


@dataclass(frozen=True)
class Throttle:
    """At most `limit` counted attempts per subject in each `window_seconds`."""

    prefix: str
    limit: int
    window_seconds: int

    def key(self, subject: str, now: float | None = None) -> str:
        window = int(time.time() if now is None else now) // self.window_seconds
        return f"{self.prefix}#{subject}#{window}"

    def count(self, subject: str, now: float | None = None) -> str | None:
        """Count one attempt for `subject` if it is still under the limit: the counter's
        key (to `uncount` it later), or None when the window is full."""
        now = time.time() if now is None else now
        key = self.key(subject, now)
        # A TTLAttribute takes a datetime (or a timedelta), not a Unix time.
        expires = datetime.fromtimestamp(int(now) + 2 * self.window_seconds, UTC)
        try:
            LoginAttemptItem(key).update(
                actions=[
                    LoginAttemptItem.failures.add(1),
                    LoginAttemptItem.window_start.set(int(now)),
                    LoginAttemptItem.expires_at.set(expires),
                ],
                condition=(
                    LoginAttemptItem.failures.does_not_exist()
                    | (LoginAttemptItem.failures < self.limit)
                ),
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return key

    def retry_after(self, now: float | None = None) -> int:
        """Seconds until the current window ends."""
        now = time.time() if now is None else now
        return self.window_seconds - int(now) % self.window_seconds


def uncount(key: str) -> None:
    """Give back an attempt `Throttle.count` counted: it was not a failure after all."""
    LoginAttemptItem(key).update(actions=[LoginAttemptItem.failures.add(-1)])
