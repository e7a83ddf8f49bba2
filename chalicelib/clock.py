"""The current time, in one place so that services pass it to rules explicitly."""

from __future__ import annotations

from datetime import UTC, datetime

# The one format of an instant lives with the rules that write it; callers outside
# the domain keep reaching it here, beside the clock.
from chalicelib.domain.instants import iso, parse_iso

__all__ = ["iso", "now", "parse_iso"]


def now() -> datetime:
    return datetime.now(UTC)
