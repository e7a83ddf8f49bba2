"""A cache whose entries lapse after a fixed time: each one's rule is stated where it is made."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TimedCache(Generic[K, V]):
    """Values kept for `seconds` after they were put, on the monotonic clock (which a
    change of the wall clock, or a test's pretended time, does not move)."""

    def __init__(self, seconds: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._monotonic = monotonic
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> V | None:
        hit = self._entries.get(key)
        if hit is None or hit[0] <= self._monotonic():
            return None
        return hit[1]

    def put(self, key: K, value: V) -> V:
        self._entries[key] = (self._monotonic() + self.seconds, value)
        return value

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)
