"""When a change happens, in the merchant's own time zone."""

from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib import clock
from chalicelib.domain.ledger import Moment
from chalicelib.store.models import MerchantItem

_timezones: dict[str, tuple[float, ZoneInfo]] = {}


def merchant_zone(merchant_id: str) -> ZoneInfo:
    """The merchant's time zone, cached: the day a scan counts on is local."""
    hit = _timezones.get(merchant_id)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    try:
        zone = ZoneInfo(MerchantItem.get(merchant_id).timezone or "UTC")
    except MerchantItem.DoesNotExist:
        zone = ZoneInfo("UTC")
    _timezones[merchant_id] = (time.monotonic() + 300, zone)
    return zone


def moment_for(merchant_id: str, at: datetime | None = None) -> Moment:
    """Now (or `at`, for a scheduled job's pretended day) in the merchant's zone."""
    now, zone = at or clock.now(), merchant_zone(merchant_id)
    return Moment(now=now, today=now.astimezone(zone).date(), zone=zone)
