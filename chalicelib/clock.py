"""The current time: the composition root's clock, which services pass to rules explicitly."""

from __future__ import annotations

from datetime import datetime

# The one format of an instant lives with the rules that write it; callers outside
# the domain keep reaching it here, beside the clock.
from chalicelib.domain.instants import iso, parse_iso
from chalicelib.root import current

__all__ = ["iso", "now", "parse_iso"]


def now() -> datetime:
    """Now, by the installed root's clock (the system's, or a test's)."""
    return current().clock()
