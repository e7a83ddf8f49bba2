"""The composition root: what one process runs on, built in one place.

A root holds the settings (read from the environment once), the clock, and every
resource made from them: clients, signing keys, caches, counters. `app.py` builds
and installs one at a Lambda's cold start; the local run, the benchmarks and the
tests build their own, and a test that changes a setting or the clock installs a
new root instead of resetting module state. Nothing else in `chalicelib` keeps
state of its own: a module that needs a resource declares it `per_root`, so a new
root starts it afresh.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

from chalicelib.config import Settings, load_settings

T = TypeVar("T")
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Root:
    settings: Settings
    clock: Clock = system_clock
    # Resources made on first use (per_root), by name; shared by roots made with_clock.
    _made: dict[str, Any] = field(default_factory=dict, repr=False)
    # Reentrant: one resource's maker may ask for another (the Google client, its key).
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def once(self, name: str, make: Callable[[], T]) -> T:
        """The resource `name`, made by `make` the first time it is asked for."""
        try:
            return cast(T, self._made[name])
        except KeyError:
            pass
        with self._lock:  # two threads asking at once make it once
            if name not in self._made:
                self._made[name] = make()
            return cast(T, self._made[name])

    def has(self, name: str) -> bool:
        return name in self._made

    def with_clock(self, clock: Clock) -> Root:
        """The same root (settings and resources) reading another clock."""
        return Root(self.settings, clock, self._made, self._lock)


def build(environ: Mapping[str, str] | None = None, clock: Clock = system_clock) -> Root:
    """A root for these environment variables (the process's by default)."""
    return Root(load_settings(os.environ if environ is None else environ), clock)


_installed: Root | None = None
_install_lock = threading.Lock()


def install(root: Root) -> Root:
    """Make `root` the one every handler, job and service of this process runs on."""
    global _installed
    _installed = root
    return root


def current() -> Root:
    """The installed root; a tool that installed none gets one built from its environment."""
    root = _installed
    if root is not None:
        return root
    with _install_lock:
        return _installed or install(build())


class PerRoot(Generic[T]):
    """A resource made once for each root: call it for the installed root's."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self.name = f"{make.__module__}.{make.__qualname__}"
        functools.update_wrapper(self, make)

    def __call__(self) -> T:
        return current().once(self.name, self._make)

    def made(self) -> bool:
        """Whether the installed root has made it yet (a cold start's cost, measured)."""
        return current().has(self.name)


def per_root(make: Callable[[], T]) -> PerRoot[T]:
    """`make`'s value, made once for each root: a client or cache built from its settings."""
    return PerRoot(make)
