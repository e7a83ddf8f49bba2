"""Read, decide, write; and when the write lost a race, read again: the one retry loop.

A change is judged against what it read, and its transaction's conditions (a
version, a program's version) refuse it when someone else wrote in between. The
loser reads again and decides afresh, a bounded number of times.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from chalicelib.errors import Conflict
from chalicelib.store import transact

T = TypeVar("T")


class ReadAgain(Exception):
    """An attempt that found, on a fresh read inside it, that its decision is stale."""


def until_written(
    attempt: Callable[[], T],
    attempts: int,
    busy: str,
    pause: tuple[float, float] | None = None,
) -> T:
    """`attempt()`'s result, run again each time its transaction is cancelled (or it
    raises ReadAgain), at most `attempts` times; then Conflict(`busy`).

    `pause`: a random wait between its bounds (seconds) before the next attempt, so
    that two writers that collided do not collide again in step.
    """
    for _ in range(attempts):
        try:
            return attempt()
        except (transact.Cancelled, ReadAgain):
            if pause is not None:
                time.sleep(random.uniform(*pause))  # noqa: S311 - jitter, not secrecy
    raise Conflict(busy)
