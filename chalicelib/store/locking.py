"""Optimistic locking: a versioned item (a member, a program, an outbox record) changes
only if its `version` is still the one it was read at.

    read item (version n)  ->  rule  ->  write  if version == n   (unchanged)
                                               set version n + 1  (advance)
                                     lost: someone wrote n + 1 first; read again

pynamodb's VersionAttribute is not used: it would add 1 and a version condition to
every save and update of the model (a Google notice or a callback's flag would move
a member's version and send racing tills into retries) and set version 1 on an item
built from its key alone. Here a write opts in, and the stored number is the same.
"""

from __future__ import annotations

from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action


def unchanged(item: Any) -> Condition:
    """The condition that `item`'s version is still the one it was read at."""
    condition: Condition = type(item).version == int(item.version)
    return condition


def advance(item: Any) -> tuple[int, Action]:
    """`item`'s next version and the action that sets it (with `unchanged`, one writer wins)."""
    version = int(item.version) + 1
    return version, type(item).version.set(version)
