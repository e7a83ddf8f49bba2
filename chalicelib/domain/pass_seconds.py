"""A pass's Last-Modified second: it must rise with every change a phone should fetch.

HTTP dates have one-second granularity, and a phone asks for its pass again with
If-Modified-Since set to the Last-Modified it was served, so two changes within one
second must still give two different values. A pass changes in two ways: its
member's own changes (balances, rewards, erasure) and its program's design changes.
Each keeps a second of its own, moved by at least one on every change:

- `member`: the member item's second, set past the value last served on each of its
  changes, so it may run a few seconds ahead of the clock after a burst of them;
- `program`: the program item's second, past its previous one on each design change;
- `seen`: the program's second as the member's last change read it.

The pass's value is `max(program, member + (program - seen))`. A design change
raises both terms, so the value rises even when the member is ahead of the clock
(plain `max(member, program)` would not: a design change in the second a member is
ahead to would be answered 304 and never shown). A member's change moves `member`
past the value served, so the value rises again. It stays near the wall clock: the
added term is the time the program has moved on since the member last changed.
"""

from __future__ import annotations


def served(member: int, program: int, seen: int | None) -> int:
    """The pass's Last-Modified second. `seen` is None on members stored before it was
    kept: then the value is the earlier rule's, max(member, program)."""
    if seen is None:
        seen = min(member, program)
    return max(program, member + program - seen)


def next_member(member: int, program: int, seen: int | None, now: int) -> int:
    """The member's second after one of its changes at `now`: past the value served.

    `program` may be a cached, older read of the program's second; the value still
    rises, because the member's change records that same read as `seen`."""
    return max(now, served(member, program, seen) + 1)


def next_program(program: int, now: int) -> int:
    """The program's second after a design change at `now`: past its previous one."""
    return max(now, program + 1)
