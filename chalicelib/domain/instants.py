"""Instants as stored and sent: RFC 3339 in UTC, one format everywhere.

Microseconds and a fixed width, so that the strings sort as the times do (the
outbox's `due_at`, rewards' `expires_at` and the ledger's keys rely on it).
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds: `2026-12-31T23:59:59.000000Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_seconds(moment: datetime) -> str:
    """RFC 3339 UTC to the second, for people and clients (`2026-12-31T23:59:59Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    """The instant of an RFC 3339 string (a trailing `Z` or an offset)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
